"""Notice types and their texts. The numbers and the Chinese texts are those of the
first version (docs/notices.md), trailing newline included; new types get new
numbers, never a reused one."""

from typing import Any

ACT_CONTENT = 1
ACT_CANCEL = 2
REMOVED_FROM_ACT = 3
NEW_BOYA = 4
ACT_COMMENTED = 5
ORG_APPLY_RESULT = 6
BECOME_OWNER = 7
BECOME_MANAGER = 8
REMOVED_FROM_MANAGER = 9
COMMENT_MODIFIED = 10
ACT_STARTING = 11
ADMITTED_FROM_WAITLIST = 12
JOIN_APPROVED = 13
JOIN_DECLINED = 14

TEMPLATES = {
    ACT_CONTENT: "您参与的活动'{act}'内容发生了改变，请及时查看",
    ACT_CANCEL: "您参与的活动'{act}'已被取消",
    REMOVED_FROM_ACT: "您已被管理员从活动'{act}'中移除",
    NEW_BOYA: "有新的博雅'{act}', 如有需要请及时报名",
    ACT_COMMENTED: "用户'{user}'评论了您管理的活动'{act}'：\n{comment}",
    ORG_APPLY_RESULT: "{result}",
    BECOME_OWNER: "您被转让成为'{org}'组织的负责人",
    BECOME_MANAGER: "您成为'{org}'组织的管理员",
    REMOVED_FROM_MANAGER: "您被'{org}'组织的负责人移除了管理员身份",
    COMMENT_MODIFIED: "用户'{user}'在您管理的活动'{act}'中修改了评论：\n{comment}",
    ACT_STARTING: "您参与的活动'{act}'即将开始，请准时参加",
    ADMITTED_FROM_WAITLIST: "您已从候补名单中递补加入活动'{act}'，请准时参加",
    JOIN_APPROVED: "您加入活动'{act}'的申请已经通过",
    JOIN_DECLINED: "您加入活动'{act}'的申请被拒绝了",
}

ORG_APPROVED = "您创建'{org}'组织的申请已经通过"
ORG_REJECTED = "您创建'{org}'组织的申请被拒绝了"

MAX_CONTENT = 500


def render(notice_type: int, **names: Any) -> str:
    """The notice text for `notice_type`, shortened to fit its column (never an error)."""
    if notice_type == ORG_APPLY_RESULT:
        template = ORG_APPROVED if names.get("approved") else ORG_REJECTED
        text = template.format(org=names.get("org", ""))
    else:
        text = TEMPLATES[notice_type].format_map(_Defaults(names))
    text += "\n"
    if len(text) > MAX_CONTENT:
        text = text[: MAX_CONTENT - 2] + "…\n"
    return text


class _Defaults(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""
