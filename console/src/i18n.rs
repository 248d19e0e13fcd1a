//! Every string the console shows, in zh-CN and en.

/// The console's strings in one language.
#[derive(Debug)]
pub struct Strings {
    /// Product title.
    pub title: &'static str,
    /// Site id field.
    pub site: &'static str,
    /// Agent name field.
    pub agent: &'static str,
    /// Password field.
    pub password: &'static str,
    /// Login button.
    pub login: &'static str,
    /// Logout button.
    pub logout: &'static str,
    /// Conversation list heading.
    pub conversations: &'static str,
    /// Shown when there are no conversations.
    pub no_conversations: &'static str,
    /// Shown when none is selected.
    pub pick_one: &'static str,
    /// Reply placeholder.
    pub reply: &'static str,
    /// Send button.
    pub send: &'static str,
    /// Connection lost banner.
    pub reconnecting: &'static str,
    /// Status of an unsent reply.
    pub sending: &'static str,
}

const ZH: Strings = Strings {
    title: "客服工作台",
    site: "站点",
    agent: "客服账号",
    password: "密码",
    login: "登录",
    logout: "退出",
    conversations: "会话",
    no_conversations: "暂无会话",
    pick_one: "选择左侧的会话开始回复",
    reply: "输入回复，Enter 发送",
    send: "发送",
    reconnecting: "连接已断开，正在重连…",
    sending: "发送中",
};

const EN: Strings = Strings {
    title: "Agent workbench",
    site: "Site",
    agent: "Agent",
    password: "Password",
    login: "Log in",
    logout: "Log out",
    conversations: "Conversations",
    no_conversations: "No conversations yet",
    pick_one: "Pick a conversation on the left to reply",
    reply: "Type a reply, Enter to send",
    send: "Send",
    reconnecting: "Connection lost, reconnecting…",
    sending: "Sending",
};

/// The strings for a locale tag; Chinese unless it starts with `en`.
pub fn strings(locale: &str) -> &'static Strings {
    if locale.to_ascii_lowercase().starts_with("en") {
        &EN
    } else {
        &ZH
    }
}
