"""The OpenAPI document, generated from the schemas every view declares with `@doc`
(`spec`), with the prose, tags and examples it carries (`texts`)."""
