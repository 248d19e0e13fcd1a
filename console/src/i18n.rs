//! Every string the console shows, in zh-CN and en (one table, one row per string).

use protocol::{Channel, ConvStatus};

client::strings! {
    title: "客服工作台", "Agent workbench";
    site: "站点", "Site";
    agent: "客服账号", "Agent";
    password: "密码", "Password";
    login: "登录", "Log in";
    logout: "退出", "Log out";
    conversations: "会话", "Conversations";
    pick_one: "选择左侧的会话开始回复", "Pick a conversation on the left to reply";
    reply: "输入回复，Enter 发送，Shift+Enter 换行", "Type a reply: Enter sends, Shift+Enter for a new line";
    send: "发送", "Send";
    reconnecting: "连接已断开，正在重连…", "Connection lost, reconnecting…";
    sending: "发送中", "Sending";
    status: "状态", "Status";
    online: "在线", "Online";
    away: "离开", "Away";
    offline: "离线", "Offline";
    pending: "待接入", "Pending";
    mine: "我的会话", "My chats";
    dormant: "待重新接入", "Dormant";
    queued: "排队中", "Queued";
    bot: "机器人接待", "Bot list";
    expired: "已过期", "Expired";
    left_messages: "留言", "Left messages";
    closed_today: "今日已结束", "Closed today";
    session_groups: "会话分组", "Session groups";
    quota_left: "可回复 {} 条 · {} 前有效", "{} replies left · until {}";
    quota_none: "微信回复次数已用完，等用户再发消息", "No WeChat replies left until the user writes again";
    all: "全部", "All";
    accept: "接入", "Accept";
    reactivate: "重新激活", "Re-activate";
    pick_up: "人工接管", "Pick up";
    transfer: "转接", "Transfer";
    close: "结束会话", "Close";
    cancel: "取消", "Cancel";
    to_agent: "转给客服", "To an agent";
    to_group: "转给分组", "To a group";
    available: "可接待", "available";
    busy: "已满", "full";
    visitor_typing: "对方正在输入…", "The visitor is typing…";
    visitor_online: "访客在线", "Visitor online";
    visitor_left: "访客已离开", "Visitor left";
    read: "已读", "Read";
    emoji: "表情", "Emoji";
    image: "图片", "Image";
    file: "文件", "File";
    card: "卡片", "Card";
    phrases: "快捷回复", "Quick phrases";
    new_phrase: "新的快捷回复", "New quick phrase";
    add: "添加", "Add";
    delete: "删除", "Delete";
    shared: "全站共享", "Shared with the site";
    card_title: "标题", "Title";
    card_id: "编号", "Id";
    card_price: "价格", "Price";
    card_status: "状态", "Status";
    card_url: "链接 (http/https)", "Link (http/https)";
    card_image: "图片链接", "Picture link";
    open: "打开", "Open";
    download: "下载", "Download";
    upload_failed: "上传失败", "Upload failed";
    text_too_long: "回复过长，最多 {} 个字", "The reply is too long. The limit is {} characters";
    visitor: "访客信息", "Visitor";
    verified: "已验证", "Verified";
    guest: "游客", "Guest";
    verified_by: "验证字段", "Verified by";
    identity_refused: "身份令牌被拒绝", "Identity token refused";
    transferred_to: "已转接给 {}", "Transferred to {}";
    name: "姓名", "Name";
    phone: "电话", "Phone";
    custom_fields: "自定义字段", "Custom fields";
    crm_contact: "CRM 联系人", "CRM contact";
    owner: "负责人", "Owner";
    source: "来源", "Source";
    entry: "入口", "Entry";
    group: "分组", "Group";
    channel: "渠道", "Channel";
    page: "当前页面", "Current page";
    device: "设备 / 浏览器", "Device / browser";
    pre_chat: "咨询前问卷", "Pre-chat answers";
    past: "历史会话", "Past conversations";
    messages_unit: " 条消息", " messages";
    none: "无", "None";
    stats: "今日数据", "Today";
    site_stats: "全站客服数据", "Site, per agent";
    accepted: "接入数", "Accepted";
    live: "进行中", "Live";
    first_response: "平均首响", "Avg first response";
    handling: "平均处理时长", "Avg handling time";
    csat: "满意度", "CSAT";
    new_chat: "新会话", "New chat";
    settings: "设置", "Settings";
    plugin: "网页插件", "Web plugin";
    place: "地区", "Location";
    shortcuts: "Alt+↓ 下一个会话 · Alt+↑ 上一个 · Enter 发送", "Alt+↓ next chat · Alt+↑ previous · Enter sends";
    state_new: "新会话", "new";
    state_queued: "排队中", "queued";
    state_offered: "待接入", "pending";
    state_active: "进行中", "active";
    state_dormant: "待重新接入", "dormant";
    state_bot: "机器人接待", "bot";
    state_expired: "已过期", "expired";
    state_closed: "已结束", "closed";
    read_only: "只读：接入后才能回复", "Read only: accept or pick up to reply";
    not_delivered: "微信未送达：", "Not delivered to WeChat:";
    retry: "重试", "Retry";
    channel_web: "网页", "Web";
    channel_mobile_web: "手机网页", "Mobile web";
    channel_app: "App", "App";
    channel_mini_program: "小程序", "Mini program";
    waiting: "等待 ", "waiting ";
    typing_now: "正在输入…", "typing…";
    me_prefix: "客服：", "Agent: ";
    kind_image: "[图片] ", "[Image] ";
    kind_file: "[文件] ", "[File] ";
    kind_card: "[卡片] ", "[Card] ";
    unit_s: "秒", "s";
    unit_m: "分", "m";
    unit_h: "小时", "h ";
    search: "搜索会话", "Search conversations";
    search_hint: "姓名、电话或消息", "Name, phone or message";
    filters: "筛选", "Filters";
    by_agent: "客服", "Agent";
    from_date: "开始日期", "From";
    to_date: "结束日期", "To";
    rating: "评价", "Rating";
    search_results: "搜索结果", "Search results";
    back_to_lists: "返回列表", "Back to lists";
    nothing_found: "没有找到相关会话", "No conversation found";
    more: "加载更多", "More";
    export: "导出记录", "Export";
    transcript_of: "会话记录", "Transcript of conversation";
    agent_prefix: "客服 ", "Agent ";
    system_name: "系统", "System";
    reports: "报表", "Reports";
    came_from: "访问来源", "Came from";
    back_to_chat: "返回会话", "Back to the conversation";
}

impl Strings {
    /// A conversation state (`ConversationSummary::state`) in words.
    pub fn state(&self, state: ConvStatus) -> &'static str {
        match state {
            ConvStatus::New => self.state_new,
            ConvStatus::Queued => self.state_queued,
            ConvStatus::Offered => self.state_offered,
            ConvStatus::Active => self.state_active,
            ConvStatus::Dormant => self.state_dormant,
            ConvStatus::Bot => self.state_bot,
            ConvStatus::Expired => self.state_expired,
            ConvStatus::Closed => self.state_closed,
        }
    }
}

impl Strings {
    /// How long, in the largest two units: `45秒`, `3分`, `1小时5分` (`45s`, `3m`, `1h 5m`).
    pub fn duration(&self, secs: u64) -> String {
        match secs {
            0..60 => format!("{secs}{}", self.unit_s),
            60..3600 => format!("{}{}", secs / 60, self.unit_m),
            _ => format!("{}{}{}{}", secs / 3600, self.unit_h, secs % 3600 / 60, self.unit_m),
        }
    }

    /// A list's line of a conversation's newest message: who (when it was the agent), what kind
    /// (an upload or a card), and its text.
    pub fn last_line(&self, last: &protocol::LastMessage) -> String {
        let who = if last.from == protocol::Side::Agent { self.me_prefix } else { "" };
        let kind = match last.kind {
            protocol::MessageKind::Text => "",
            protocol::MessageKind::Image => self.kind_image,
            protocol::MessageKind::File => self.kind_file,
            protocol::MessageKind::Card => self.kind_card,
        };
        format!("{who}{kind}{}", last.text)
    }
}

impl Strings {
    /// A channel (`ConversationSummary::channel`, the profile's) in words.
    pub fn channel_name(&self, channel: Channel) -> &'static str {
        match channel {
            Channel::Web => self.channel_web,
            Channel::MobileWeb => self.channel_mobile_web,
            Channel::App => self.channel_app,
            Channel::MiniProgram => self.channel_mini_program,
        }
    }
}
