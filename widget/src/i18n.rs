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
    /// Status of a refused message.
    pub send_failed: &'static str,
    /// Retry button of a failed message.
    pub retry: &'static str,
    /// Status of a message the agent has read.
    pub read: &'static str,
    /// Label of the message log.
    pub messages: &'static str,
    /// Author label for agents without a name.
    pub agent: &'static str,
    /// Shown when the session could not start.
    pub failed: &'static str,
    /// Button that starts the session again.
    pub try_again: &'static str,
    /// Shown when the site requires a signed-in shopper and the page gave no valid identity.
    pub identity_required: &'static str,
    /// Shown when the entry id does not exist.
    pub unknown_entry: &'static str,
    /// Button that leaves an unknown entry for the general chat.
    pub general_chat: &'static str,
    /// Queue position line; `{}` is the position.
    pub queued: &'static str,
    /// Status line while no agent is online.
    pub waiting_offline: &'static str,
    /// Status line outside service hours.
    pub waiting_off_hours: &'static str,
    /// Shown while the agent types.
    pub typing: &'static str,
    /// Emoji button.
    pub emoji: &'static str,
    /// Image button.
    pub image: &'static str,
    /// File button.
    pub file: &'static str,
    /// Refused file type, before the name.
    pub unsupported_file: &'static str,
    /// Refused file size, before the cap.
    pub too_large: &'static str,
    /// Refused text length; `{}` is the limit in characters.
    pub text_too_long: &'static str,
    /// Progress label.
    pub uploading: &'static str,
    /// Download link label.
    pub download: &'static str,
    /// Lightbox close label.
    pub close_image: &'static str,
    /// Above the pre-chat form.
    pub pre_chat_title: &'static str,
    /// Group choice label.
    pub pick_group: &'static str,
    /// Pre-chat submit button.
    pub start: &'static str,
    /// Marks an optional field.
    pub optional: &'static str,
    /// Required field left empty.
    pub err_required: &'static str,
    /// Not a phone number.
    pub err_phone: &'static str,
    /// Not an e-mail address.
    pub err_email: &'static str,
    /// Not one of the options.
    pub err_option: &'static str,
    /// Answer too long.
    pub err_long: &'static str,
    /// Leave-message submit button.
    pub leave_send: &'static str,
    /// After the leave-message form was sent.
    pub leave_sent: &'static str,
    /// Leave-message field: name.
    pub field_name: &'static str,
    /// Leave-message field: phone.
    pub field_phone: &'static str,
    /// Leave-message field: e-mail.
    pub field_email: &'static str,
    /// Leave-message field: message.
    pub field_message: &'static str,
    /// Shown when the agent closed the conversation.
    pub closed: &'static str,
    /// Rating prompt.
    pub rate_title: &'static str,
    ///  after the number of stars in a star's label.
    pub stars: &'static str,
    /// Rating comment placeholder.
    pub rate_comment: &'static str,
    /// Rating submit button.
    pub rate_send: &'static str,
    /// After the rating was stored.
    pub rated: &'static str,
    /// Card picker heading, before the button name.
    pub pick_card: &'static str,
    /// Card picker label.
    pub card_picker: &'static str,
    /// Unread badge label, after the number.
    pub unread: &'static str,
}

const ZH: Strings = Strings {
    open_chat: protocol::theme::OPEN_CHAT_ZH,
    close_chat: "关闭对话",
    title: "在线客服",
    placeholder: "输入消息，Enter 发送",
    send: "发送",
    connecting: "正在连接…",
    reconnecting: "网络已断开，正在重连…",
    sending: "发送中",
    send_failed: "发送失败",
    retry: "重试",
    read: "已读",
    messages: "对话消息",
    agent: "客服",
    failed: "暂时无法连接，请稍后再试",
    try_again: "重新连接",
    identity_required: "请先登录本网站，再发起咨询。",
    unknown_entry: "该咨询入口不存在或已停用。",
    general_chat: "咨询在线客服",
    queued: "正在排队，您排在第 {} 位",
    waiting_offline: "客服暂时不在线",
    waiting_off_hours: "现在是非工作时间",
    typing: "客服正在输入…",
    emoji: "表情",
    image: "发送图片",
    file: "发送文件",
    unsupported_file: "不支持发送此类文件：",
    too_large: "文件过大，最大 ",
    text_too_long: "消息过长，最多 {} 个字",
    uploading: "上传中",
    download: "下载",
    close_image: "关闭大图",
    pre_chat_title: "开始咨询前，请填写以下信息",
    pick_group: "请选择咨询类型",
    start: "开始咨询",
    optional: "（选填）",
    err_required: "此项必填",
    err_phone: "请输入正确的电话号码",
    err_email: "请输入正确的邮箱地址",
    err_option: "请选择一项",
    err_long: "内容过长",
    leave_send: "提交留言",
    leave_sent: "留言已收到，我们会尽快联系您。",
    field_name: "姓名",
    field_phone: "电话",
    field_email: "邮箱",
    field_message: "留言内容",
    closed: "对话已结束",
    rate_title: "请为本次服务评分",
    stars: " 星",
    rate_comment: "补充评价（选填）",
    rate_send: "提交评价",
    rated: "感谢您的评价！",
    pick_card: "选择要发送的",
    card_picker: "卡片列表",
    unread: " 条未读消息",
};

const EN: Strings = Strings {
    open_chat: protocol::theme::OPEN_CHAT_EN,
    close_chat: "Close chat",
    title: "Support",
    placeholder: "Type a message…",
    send: "Send",
    connecting: "Connecting…",
    reconnecting: "Connection lost, reconnecting…",
    sending: "Sending",
    send_failed: "Not sent",
    retry: "Retry",
    read: "Read",
    messages: "Conversation",
    agent: "Agent",
    failed: "Can't connect right now, please try again later",
    try_again: "Try again",
    identity_required: "Please sign in to this site first to chat with us.",
    unknown_entry: "This contact option doesn't exist or is no longer available.",
    general_chat: "Chat with support",
    queued: "You are number {} in the queue",
    waiting_offline: "No agent is online right now",
    waiting_off_hours: "Outside service hours",
    typing: "The agent is typing…",
    emoji: "Emoji",
    image: "Send an image",
    file: "Send a file",
    unsupported_file: "This type of file can't be sent: ",
    too_large: "The file is too large. The limit is ",
    text_too_long: "The message is too long. The limit is {} characters",
    uploading: "Uploading",
    download: "Download",
    close_image: "Close image",
    pre_chat_title: "Before we start, please tell us a little",
    pick_group: "What do you need help with?",
    start: "Start chat",
    optional: " (optional)",
    err_required: "This field is required",
    err_phone: "Enter a valid phone number",
    err_email: "Enter a valid e-mail address",
    err_option: "Choose one option",
    err_long: "Too long",
    leave_send: "Send message",
    leave_sent: "Thanks, we got your message and will get back to you soon.",
    field_name: "Name",
    field_phone: "Phone",
    field_email: "E-mail",
    field_message: "Message",
    closed: "This conversation has ended",
    rate_title: "How was our service?",
    stars: " stars",
    rate_comment: "Anything to add? (optional)",
    rate_send: "Send rating",
    rated: "Thanks for your rating!",
    pick_card: "Pick one to send: ",
    card_picker: "Cards",
    unread: " unread messages",
};

/// The strings for a locale tag (`zh-CN`, `zh`, `en-US`, ...); Chinese unless it starts with `en`.
pub fn strings(locale: &str) -> &'static Strings {
    if protocol::theme::is_english(locale) {
        &EN
    } else {
        &ZH
    }
}

/// The HTML `lang` of a locale tag.
pub fn lang(locale: &str) -> &'static str {
    if std::ptr::eq(strings(locale), &EN) {
        "en"
    } else {
        "zh-CN"
    }
}

impl Strings {
    /// The label of a leave-message field, by its name.
    pub fn field_label(&self, name: &str) -> String {
        match name {
            "name" | "full_name" => self.field_name.into(),
            "phone" | "mobile" => self.field_phone.into(),
            "email" => self.field_email.into(),
            "message" | "content" => self.field_message.into(),
            other => other.into(),
        }
    }

    /// The message for a refused pre-chat answer.
    pub fn answer_problem(&self, problem: protocol::checks::AnswerProblem) -> &'static str {
        use protocol::checks::AnswerProblem as P;
        match problem {
            P::Required => self.err_required,
            P::TooLong => self.err_long,
            P::NotPhone => self.err_phone,
            P::NotEmail => self.err_email,
            P::NotAnOption | P::UnknownField => self.err_option,
        }
    }
}
