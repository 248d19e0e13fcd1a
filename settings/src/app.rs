//! The settings shell: the page list, the save bar (saving at the version read, the conflict
//! when someone else saved first), and what a signed-out or non-admin agent sees instead.

use leptos::prelude::*;

use crate::agents::Agents;
use protocol::settings::SaveEffect;

use crate::api::{Load, Saved, Settings};
use crate::bot::Bot;
use crate::contacts::Contacts;
use crate::entries::Entries;
use crate::groups::Groups;
use crate::history::History;
use crate::hours::Hours;
use crate::identity::Identity;
use crate::mini_programs::MiniPrograms;
use crate::plugins::Plugins;
use crate::prompts::Prompts;
use crate::rules::Rules;
use crate::window::ChatWindow;
use crate::workbench::Workbench;

/// The interface language: Chinese unless the browser (or `?locale=`) asks for English.
#[derive(Clone, Copy)]
pub struct Lang {
    en: bool,
}

impl Lang {
    /// The text in the interface language.
    pub fn t(self, zh: &'static str, en: &'static str) -> &'static str {
        if self.en {
            en
        } else {
            zh
        }
    }

    /// The interface language's tag, for dates and numbers.
    pub fn locale(self) -> &'static str {
        self.t("zh-CN", "en")
    }
}

/// The pages of the settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Page {
    Plugins,
    Prompts,
    Hours,
    Identity,
    Agents,
    Groups,
    Rules,
    Entries,
    Bot,
    Window,
    Workbench,
    MiniPrograms,
    Contacts,
    History,
}

/// The whole settings app.
#[component]
pub fn App() -> impl IntoView {
    let window = web_sys::window();
    let language = window.as_ref().and_then(|w| w.navigator().language()).unwrap_or_default();
    let query = window.as_ref().and_then(|w| w.location().search().ok()).unwrap_or_default();
    let locale = web_sys::UrlSearchParams::new_with_str(&query).ok().and_then(|p| p.get("locale")).unwrap_or(language);
    let lang = Lang { en: locale.to_ascii_lowercase().starts_with("en") };
    provide_context(lang);
    let settings = Settings::start();
    provide_context(settings);
    let page = RwSignal::new(Page::Prompts);
    let tab = move |which: Page, zh: &'static str, en: &'static str, id: &'static str| {
        view! {
            <li>
                <button
                    class="tab"
                    data-testid=id
                    aria-current=move || (page.get() == which).then_some("page")
                    on:click=move |_| {
                        if which == Page::History {
                            settings.load_history();
                        }
                        page.set(which);
                    }
                >
                    {lang.t(zh, en)}
                </button>
            </li>
        }
    };
    let body = move || {
        match settings.load.get() {
        Load::Loading => view! { <p class="note" role="status">{lang.t("正在读取设置…", "Loading the settings…")}</p> }.into_any(),
        Load::SignedOut => view! {
            <p class="note" data-testid="settings-signed-out">
                {lang.t("请先在工作台登录。", "Sign in at the workbench first.")} " "
                <a href="/console/">{lang.t("去登录", "Sign in")}</a>
            </p>
        }
        .into_any(),
        Load::Forbidden => view! {
            <p class="note" role="alert" data-testid="settings-forbidden">
                {lang.t("只有网站的所有者和管理员可以修改设置。", "Only the site's owners and admins can change its settings.")}
            </p>
        }
        .into_any(),
        Load::Failed(why) => view! { <p class="note error" role="alert">{why}</p> }.into_any(),
        Load::Ready => view! {
            <div class="pages">
                <nav aria-label=lang.t("设置", "Settings")>
                    <ul>
                        {tab(Page::Plugins, "网页插件", "Web plugins", "tab-plugins")}
                        {tab(Page::Prompts, "提示语", "Prompts", "tab-prompts")}
                        {tab(Page::Hours, "服务时间", "Service hours", "tab-hours")}
                        {tab(Page::Identity, "身份校验", "Identity", "tab-identity")}
                        {tab(Page::Agents, "客服", "Agents", "tab-agents")}
                        {tab(Page::Groups, "客服分组", "Groups", "tab-groups")}
                        {tab(Page::Rules, "分配规则", "Rules", "tab-rules")}
                        {tab(Page::Entries, "指定客服入口", "Entries", "tab-entries")}
                        {tab(Page::MiniPrograms, "小程序", "Mini-programs", "tab-mini-programs")}
                        {tab(Page::Bot, "机器人", "Bot", "tab-bot")}
                        {tab(Page::Window, "聊天窗口", "Chat window", "tab-window")}
                        {tab(Page::Workbench, "工作台", "Workbench", "tab-workbench")}
                        {tab(Page::Contacts, "CRM 联系人", "CRM contacts", "tab-contacts")}
                        {tab(Page::History, "修改记录", "History", "tab-history")}
                    </ul>
                </nav>
                <section class="page">
                    {move || match page.get() {
                        Page::Plugins => view! { <Plugins /> }.into_any(),
                        Page::Prompts => view! { <Prompts /> }.into_any(),
                        Page::Hours => view! { <Hours /> }.into_any(),
                        Page::Identity => view! { <Identity /> }.into_any(),
                        Page::Agents => view! { <Agents /> }.into_any(),
                        Page::Groups => view! { <Groups /> }.into_any(),
                        Page::Rules => view! { <Rules /> }.into_any(),
                        Page::Entries => view! { <Entries /> }.into_any(),
                        Page::Bot => view! { <Bot /> }.into_any(),
                        Page::Window => view! { <ChatWindow /> }.into_any(),
                        Page::Workbench => view! { <Workbench /> }.into_any(),
                        Page::MiniPrograms => view! { <MiniPrograms /> }.into_any(),
                        Page::Contacts => view! { <Contacts /> }.into_any(),
                        Page::History => view! { <History /> }.into_any(),
                    }}
                </section>
            </div>
            <SaveBar />
        }
        .into_any(),
    }
    };
    view! {
        <header class="top">
            <h1>{lang.t("设置", "Settings")} " · " {move || settings.view.with(|v| v.as_ref().map(|v| v.config.name.clone()).unwrap_or_else(|| settings.site()))}</h1>
            <a class="back" href="/console/" data-testid="back-to-workbench">{lang.t("← 返回工作台", "← Workbench")}</a>
        </header>
        <main>{body}</main>
    }
}

/// Save and its outcome; a conflict offers to reload.
#[component]
fn SaveBar() -> impl IntoView {
    let settings = expect_context::<Settings>();
    let lang = expect_context::<Lang>();
    let status = move || {
        match settings.saved.get() {
        Saved::Idle if settings.dirty() => {
            view! { <span class="unsaved">{lang.t("有未保存的修改", "Unsaved changes")}</span> }.into_any()
        }
        Saved::Idle => view! { <span></span> }.into_any(),
        Saved::Busy => view! { <span>{lang.t("正在保存…", "Saving…")}</span> }.into_any(),
        Saved::Done(version) => view! {
            <span class="ok" data-testid="settings-saved">{lang.t("已保存，立即生效", "Saved, in effect now")} " (v" {version} ")"</span>
        }
        .into_any(),
        Saved::Conflict(message) => view! {
            <span class="error" role="alert" data-testid="settings-conflict">
                {lang.t("别人在你打开后修改了设置，你的修改没有保存。", "Someone else changed these settings after you opened them; yours were not saved.")}
                " " <small>{message}</small> " "
                <button class="ghost" data-testid="settings-reload" on:click=move |_| settings.reload()>
                    {lang.t("重新读取", "Reload")}
                </button>
            </span>
        }
        .into_any(),
        Saved::Confirm(effects) => view! { <Confirm effects=effects /> }.into_any(),
        Saved::Refused(message) => view! { <span class="error" role="alert" data-testid="settings-error">{message}</span> }.into_any(),
    }
    };
    view! {
        <footer class="save-bar">
            <div role="status" aria-live="polite">{status}</div>
            <button
                data-testid="settings-save"
                disabled=move || {
                    !settings.dirty() || matches!(settings.saved.get(), Saved::Busy | Saved::Confirm(_))
                }
                on:click=move |_| settings.save()
            >
                {lang.t("保存", "Save")}
            </button>
        </footer>
    }
}

/// What a save would do to open conversations, before it is made: save anyway, or go back.
#[component]
fn Confirm(effects: Vec<SaveEffect>) -> impl IntoView {
    let settings = expect_context::<Settings>();
    let lang = expect_context::<Lang>();
    let line = move |effect: SaveEffect| match effect {
        SaveEffect::QueueMoves { group_name, queued, to_name, .. } => match lang.en {
            true => format!("{queued} waiting in {group_name} move to the queue of {to_name}, in their order."),
            false => format!("{group_name} 中排队的 {queued} 个会话将按原顺序转到 {to_name} 排队。"),
        },
        SaveEffect::AgentLeaves { agent_name, live, offered, .. } => {
            let mut parts = Vec::new();
            if live > 0 {
                parts.push(match lang.en {
                    true => format!("the {live} conversation(s) {agent_name} holds wait to be re-accepted (the visitor's next message routes them again)"),
                    false => format!("{agent_name} 正在接待的 {live} 个会话将等待重新接入（访客再发消息时重新分配）"),
                });
            }
            if offered > 0 {
                parts.push(match lang.en {
                    true => format!("the {offered} offered to {agent_name} go to other agents"),
                    false => format!("待 {agent_name} 接入的 {offered} 个会话转给其他客服"),
                });
            }
            let text = parts.join(if lang.en { "; " } else { "；" });
            if lang.en {
                format!("{}{}.", text[..1].to_uppercase(), &text[1..])
            } else {
                format!("{text}。")
            }
        }
    };
    view! {
        <div class="confirm" role="alert" data-testid="settings-impact">
            <strong>{lang.t("保存后，这些进行中的会话会变化：", "Saving changes these open conversations:")}</strong>
            <ul>
                {effects.into_iter().map(|e| view! { <li data-testid="settings-impact-line">{line(e)}</li> }).collect_view()}
            </ul>
            <button data-testid="settings-save-anyway" on:click=move |_| settings.save_anyway()>
                {lang.t("仍然保存", "Save anyway")}
            </button>
            " "
            <button class="ghost" data-testid="settings-save-cancel" on:click=move |_| settings.saved.set(Saved::Idle)>
                {lang.t("取消", "Cancel")}
            </button>
        </div>
    }
}
