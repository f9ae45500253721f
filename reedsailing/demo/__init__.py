"""`python manage.py demo-data`: a reproducible demo campus (`campus`) and its words (`words`)."""
