//! Every string the widget shows, in zh-CN and en.

/// The widget's strings in one language.
#[derive(Debug)]
pub struct Strings {
    /// Launcher label (accessible name).
    pub open_chat: &'static str,
    /// Close button label.
    pub close_chat: &'static str,
    /// Default window title.
    pub title: &'static str,
    /// Composer placeholder.
    pub placeholder: &'static str,
    /// Send button.
    pub send: &'static str,
    /// Shown while connecting.
    pub connecting: &'static str,
    /// Shown while the connection is down.
    pub reconnecting: &'static str,
    /// Status of a message not yet stored.
    pub sending: &'static str,
    /// Label of the message log.
    pub messages: &'static str,
    /// Author label for agents without a name.
    pub agent: &'static str,
    /// Shown when the session could not start.
    pub failed: &'static str,
    /// Queue position line, before the number.
    pub queued: &'static str,
    /// Shown while the agent types.
    pub typing: &'static str,
}

const ZH: Strings = Strings {
    open_chat: "在线咨询",
    close_chat: "关闭对话",
    title: "在线客服",
    placeholder: "请输入消息，按 Enter 发送",
    send: "发送",
    connecting: "正在连接…",
    reconnecting: "网络已断开，正在重连…",
    sending: "发送中",
    messages: "对话消息",
    agent: "客服",
    failed: "暂时无法连接，请稍后再试",
    queued: "正在排队，您前面的位置：",
    typing: "客服正在输入…",
};

const EN: Strings = Strings {
    open_chat: "Chat with us",
    close_chat: "Close chat",
    title: "Support",
    placeholder: "Type a message, Enter to send",
    send: "Send",
    connecting: "Connecting…",
    reconnecting: "Connection lost, reconnecting…",
    sending: "Sending",
    messages: "Conversation",
    agent: "Agent",
    failed: "Can't connect right now, please try again later",
    queued: "You are in the queue, position ",
    typing: "The agent is typing…",
};

/// The strings for a locale tag (`zh-CN`, `zh`, `en-US`, ...); Chinese unless it starts with `en`.
pub fn strings(locale: &str) -> &'static Strings {
    if locale.to_ascii_lowercase().starts_with("en") {
        &EN
    } else {
        &ZH
    }
}
