//! Every string the reports page shows, in zh-CN and en (one table, one row per string).

use protocol::Channel;

client::strings! {
    lang: "zh", "en";
    reports: "报表", "Reports";
    signed_out: "请先在客服工作台登录，再从工作台打开报表。", "Sign in to the workbench first, then open the reports from it.";
    to_workbench: "打开客服工作台", "Open the workbench";
    from_date: "开始日期", "From";
    to_date: "结束日期", "To";
    by_agent: "客服", "Agent";
    channel_web: "网页", "Web";
    channel_mobile_web: "手机网页", "Mobile web";
    channel_app: "App", "App";
    channel_mini_program: "小程序", "Mini program";
    r_per: "粒度", "Per";
    r_day: "按天", "Day";
    r_hour: "按小时", "Hour";
    r_split: "分组方式", "Split by";
    r_all: "全部", "All";
    r_group: "客服组", "Group";
    r_channel: "渠道", "Channel";
    r_plugin: "插件", "Plugin";
    r_waiting: "正在计算…", "Computing…";
    r_conversations: "会话数", "Conversations";
    r_served: "已接待", "Served";
    r_first_median: "首次响应（中位）", "First response (median)";
    r_first_p90: "首次响应（P90）", "First response (p90)";
    r_handling: "平均处理时长", "Mean handling time";
    r_messages_per: "消息数/会话", "Messages per conversation";
    r_missed: "未接入", "Missed";
    r_left: "留言", "Left messages";
    r_transfers: "转接", "Transfers";
    r_rated: "评价数", "Ratings";
    r_csat: "满意度", "CSAT";
    r_identified: "实名访客", "Identified";
    r_by_time: "时间明细", "By time";
    r_time: "时间", "Time";
    r_volume: "会话量", "Conversations";
    r_csat_chart: "满意度分布", "Ratings by score";
    r_presence: "客服在线时长", "Agents online and away";
    r_online: "在线", "Online";
    r_away: "离开", "Away";
    r_topics: "热点问题", "Hot questions";
    r_topic: "关键词", "Word";
    r_before: "上期", "Period before";
    r_trend: "趋势", "Trend";
    r_open_topic: "查看会话", "Conversations";
    r_open_hint: "在工作台中打开", "Opens in the workbench";
    r_pages: "咨询页面", "Pages";
    r_page: "页面", "Page";
    r_products: "咨询商品", "Products";
    r_product: "商品", "Product";
    r_sources: "来源质量", "Quality by source";
    r_source: "来源 / 活动", "Source / campaign";
    r_none: "（无）", "(none)";
    r_csv: "导出 CSV", "CSV";
    r_empty: "这段时间没有会话", "No conversation in this period";
}

impl Strings {
    /// A channel in words.
    pub fn channel_name(&self, channel: Channel) -> &'static str {
        match channel {
            Channel::Web => self.channel_web,
            Channel::MobileWeb => self.channel_mobile_web,
            Channel::App => self.channel_app,
            Channel::MiniProgram => self.channel_mini_program,
        }
    }

    /// Whether durations are written with Chinese units.
    pub fn zh(&self) -> bool {
        self.lang == "zh"
    }
}
