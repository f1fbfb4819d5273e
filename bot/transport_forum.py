"""Forum topics and chat members of the in-process Bot API (the console shows the helpdesk's
agents' group with them when one is configured).

A mix-in of `bot.transport.LocalBotAPI`: it relies on the core's state (`chats`, `messages`,
`users`, `bot_user`, `_next_mid`) and helpers (`_chat`).
"""

from __future__ import annotations

import time

from bot.transport_types import BOT_ID, FORUM_ICON_COLOR, ApiError, Chat


class ForumMembersMixin:
    """Bot API methods for forum topics and chat members."""

    # --- forum topics
    def _forum(self, params) -> Chat:
        chat = self._chat(params)
        if not chat.is_forum:
            raise ApiError(400, "Bad Request: the chat is not a forum")
        return chat

    def _live_topic(self, chat: Chat, params) -> dict:
        topic = chat.topics.get(int(params["message_thread_id"]))
        if topic is None or topic["deleted"]:
            raise ApiError(400, "Bad Request: message thread not found")
        return topic

    def _m_createForumTopic(self, params, call):
        chat = self._forum(params)
        name = str(params.get("name") or "")
        if not 1 <= len(name) <= 128:
            raise ApiError(400, "Bad Request: TOPIC_TITLE_EMPTY" if not name
                           else "Bad Request: TOPIC_TITLE_TOO_LONG")
        mid = self._next_mid[chat.id]
        self._next_mid[chat.id] += 1
        color = int(params.get("icon_color") or FORUM_ICON_COLOR)
        chat.topics[mid] = {"name": name, "closed": False, "deleted": False, "icon_color": color}
        # Telegram's topic id is the id of the "topic created" service message.
        self.messages[(chat.id, mid)] = {
            "message_id": mid, "from": self.bot_user, "chat": chat.json(self.users),
            "date": int(time.time()), "message_thread_id": mid, "is_topic_message": True,
            "forum_topic_created": {"name": name, "icon_color": color}}
        return {"message_thread_id": mid, "name": name, "icon_color": color}

    def _m_editForumTopic(self, params, call):
        chat = self._forum(params)
        topic = self._live_topic(chat, params)
        name = params.get("name")
        if name is not None:
            if name == topic["name"]:
                raise ApiError(400, "Bad Request: TOPIC_NOT_MODIFIED")
            topic["name"] = name
        return True

    def _m_closeForumTopic(self, params, call):
        topic = self._live_topic(self._forum(params), params)
        if topic["closed"]:
            raise ApiError(400, "Bad Request: TOPIC_NOT_MODIFIED")
        topic["closed"] = True
        return True

    def _m_reopenForumTopic(self, params, call):
        topic = self._live_topic(self._forum(params), params)
        if not topic["closed"]:
            raise ApiError(400, "Bad Request: TOPIC_NOT_MODIFIED")
        topic["closed"] = False
        return True

    def _m_deleteForumTopic(self, params, call):
        chat = self._forum(params)
        topic = self._live_topic(chat, params)
        topic["deleted"] = True
        thread = int(params["message_thread_id"])
        for key in [k for k, m in self.messages.items()
                    if k[0] == chat.id and m.get("message_thread_id") == thread]:
            del self.messages[key]
        return True

    def delete_topic(self, chat_id: int, thread_id: int) -> None:
        """An admin deletes a topic by hand (not through the bot)."""
        self._m_deleteForumTopic({"chat_id": chat_id, "message_thread_id": thread_id}, None)

    # --- chats and members
    def _member_json(self, chat: Chat, user_id: int) -> dict:
        user = self.bot_user if user_id == BOT_ID else self.users.get(
            user_id, {"id": user_id, "is_bot": False, "first_name": f"User{user_id}"})
        status = chat.members.get(user_id, "left")
        if status == "creator":
            return {"status": "creator", "user": user, "is_anonymous": False}
        if status == "administrator":
            return {"status": "administrator", "user": user, "can_be_edited": False,
                    "is_anonymous": False, "can_manage_chat": True, "can_delete_messages": True,
                    "can_manage_video_chats": True, "can_restrict_members": True,
                    "can_promote_members": False, "can_change_info": True,
                    "can_invite_users": True, "can_post_stories": False,
                    "can_edit_stories": False, "can_delete_stories": False,
                    "can_pin_messages": True, "can_manage_topics": True}
        if status == "restricted":
            return {"status": "restricted", "user": user, "is_member": True, "until_date": 0,
                    **dict.fromkeys(
                        ("can_send_messages", "can_send_audios", "can_send_documents",
                         "can_send_photos", "can_send_videos", "can_send_video_notes",
                         "can_send_voice_notes", "can_send_polls", "can_send_other_messages",
                         "can_add_web_page_previews", "can_change_info", "can_invite_users",
                         "can_pin_messages", "can_manage_topics"), False)}
        if status == "kicked":
            return {"status": "kicked", "user": user, "until_date": 0}
        if status == "member":
            return {"status": "member", "user": user}
        return {"status": "left", "user": user}

    def _m_getChatMember(self, params, call):
        chat = self._chat(params)
        return self._member_json(chat, int(params["user_id"]))

    def _m_getChatAdministrators(self, params, call):
        chat = self._chat(params)
        return [self._member_json(chat, uid) for uid, status in chat.members.items()
                if status in ("creator", "administrator")]

    def _m_getChatMemberCount(self, params, call):
        chat = self._chat(params)
        return sum(1 for s in chat.members.values() if s not in ("left", "kicked"))

    def _m_getChat(self, params, call):
        chat = self._chat(params)
        out = chat.json(self.users)
        out.update({"accent_color_id": 0, "max_reaction_count": 11,
                    "accepted_gift_types": {"unlimited_gifts": False, "limited_gifts": False,
                                            "unique_gifts": False,
                                            "premium_subscription": False,
                                            "gifts_from_channels": False}})
        return out
