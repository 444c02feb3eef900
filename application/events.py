"""The events the service publishes, and what each one's data holds: derived from the entities' own
fields, as the responses are. A user's email appears only where a consumer needs it (registration and
updates); no password hash, credentials stamp or token appears in any."""

from dataclasses import fields

from application.ports.events import EventType
from domain.comments import Comment
from domain.posts import Post
from domain.users import PublicProfile, User

USER_PUBLIC = tuple(field.name for field in fields(PublicProfile))  # the public profile: id, name, …, version
USER_WITH_EMAIL = (*USER_PUBLIC, "email")
# Everything a post has is public; its comment count changes with no post event (the comment events
# say it), so post events leave it out rather than carry a figure that no event keeps current.
POST_PUBLIC = tuple(field.name for field in fields(Post) if field.name != "comment_count")
COMMENT_PUBLIC = tuple(field.name for field in fields(Comment))  # everything a comment has is public


def _user(action: str, data: tuple[str, ...] = USER_PUBLIC) -> EventType[User]:
    return EventType("user", action, "users", data)


def _post(action: str) -> EventType[Post]:
    return EventType("post", action, "posts", POST_PUBLIC)


def _comment(action: str) -> EventType[Comment]:
    return EventType("comment", action, "comments", COMMENT_PUBLIC)


USER_REGISTERED = _user("registered", USER_WITH_EMAIL)
USER_UPDATED = _user("updated", USER_WITH_EMAIL)  # and `changed`: the fields the update changed
USER_EMAIL_VERIFIED = _user("email_verified")
USER_SUSPENDED = _user("suspended")
USER_REINSTATED = _user("reinstated")
USER_DELETED = _user("deleted")  # the user as last read; their posts and comments go with them
POST_CREATED = _post("created")
POST_UPDATED = _post("updated")
POST_DELETED = _post("deleted")  # the post as last read; its comments are deleted with it
COMMENT_CREATED = _comment("created")
COMMENT_UPDATED = _comment("updated")
COMMENT_DELETED = _comment("deleted")  # the comment as last read

EVENT_TYPES: tuple[EventType[User] | EventType[Post] | EventType[Comment], ...] = (
    USER_REGISTERED,
    USER_UPDATED,
    USER_EMAIL_VERIFIED,
    USER_SUSPENDED,
    USER_REINSTATED,
    USER_DELETED,
    POST_CREATED,
    POST_UPDATED,
    POST_DELETED,
    COMMENT_CREATED,
    COMMENT_UPDATED,
    COMMENT_DELETED,
)
"""Every event type, for the documentation and the tests."""
