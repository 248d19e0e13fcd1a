//! Settings → Web plugins (网页插件): one per website, each with its own look, greeting and
//! allowed pages; the real widget previewed live beside the form (desktop and phone), and the
//! snippet to paste, with a copy button. Checked with `protocol::checks::check_plugins`, the
//! API's own check.

use leptos::prelude::*;
use protocol::{ColorScheme, PluginConfig, ThemeSetting};

use crate::api::Settings;
use crate::app::Lang;
use crate::browser::copy_text;

/// The plugins page: the list, the selected plugin's form and preview, and the add form.
#[component]
pub fn Plugins() -> impl IntoView {
    let settings = expect_context::<Settings>();
    let lang = expect_context::<Lang>();
    let ids = move || settings.draft.with(|d| d.plugins.iter().map(|p| p.id.clone()).collect::<Vec<_>>());
    let problem = move || settings.draft.with(|d| protocol::checks::check_plugins(d).err());
    view! {
        <h2>{lang.t("网页插件", "Web plugins")}</h2>
        <p class="hint">{lang.t(
            "每个网站一个插件，各有自己的样式、欢迎语和允许的网页。第一个是默认插件（代码里没有 data-plugin 时使用）。",
            "One plugin per website, each with its own look, greeting and allowed pages. The first is the default (snippets without data-plugin)."
        )}</p>
        {move || problem().map(|(field, why)| view! { <p class="field-error" role="alert" data-testid="plugins-error">{field} ": " {why}</p> })}
        <For each=ids key=|id| id.clone() let:id>
            <PluginCard id=id />
        </For>
        <AddPlugin />
    }
}

/// One plugin: its fields, its preview and its snippet.
#[component]
fn PluginCard(id: String) -> impl IntoView {
    let settings = expect_context::<Settings>();
    let lang = expect_context::<Lang>();
    let plugin = {
        let id = id.clone();
        move || settings.draft.with(|d| d.plugins.iter().find(|p| p.id == id).cloned().unwrap_or_default())
    };
    let edit = {
        let id = id.clone();
        move |change: Box<dyn FnOnce(&mut PluginConfig)>| {
            settings.edit(|d| {
                if let Some(p) = d.plugins.iter_mut().find(|p| p.id == id) {
                    change(p);
                }
            })
        }
    };
    let theme_edit = {
        let edit = edit.clone();
        move |change: Box<dyn FnOnce(&mut ThemeSetting)>| edit(Box::new(move |p| change(&mut p.theme)))
    };
    let text = |value: String| Some(value.trim().to_string()).filter(|v| !v.is_empty());
    let testid = {
        let id = id.clone();
        move |what: &str| format!("plugin-{id}-{what}")
    };
    let origin = web_sys::window().and_then(|w| w.location().origin().ok()).unwrap_or_default();
    let site = settings.site();
    let snippet = format!("<script src=\"{origin}/w.js\" data-site=\"{site}\" data-plugin=\"{id}\" async></script>");
    // The draft's look, before it is saved: the preview gets it as the page's own theme.
    let preview = {
        let plugin = plugin.clone();
        let site = site.clone();
        let id = id.clone();
        move || {
            let tokens = theme_json(&plugin().theme);
            let query =
                [("site", site.as_str()), ("plugin", id.as_str()), ("locale", "zh-CN"), ("theme", tokens.as_str())];
            let query: Vec<String> = query.iter().map(|(k, v)| format!("{k}={}", encode(v))).collect();
            format!("/preview.html?{}", query.join("&"))
        }
    };
    let copied = RwSignal::new(false);
    let copy = {
        let snippet = snippet.clone();
        move |_| {
            copy_text(&snippet);
            copied.set(true);
        }
    };
    let (p1, p2, p3, p4, p5, p6, p7, p8, p9, p10) = (
        plugin.clone(),
        plugin.clone(),
        plugin.clone(),
        plugin.clone(),
        plugin.clone(),
        plugin.clone(),
        plugin.clone(),
        plugin.clone(),
        plugin.clone(),
        plugin.clone(),
    );
    let (e1, e2, e3, e4) = (edit.clone(), edit.clone(), edit.clone(), edit.clone());
    let (t1, t2, t3, t4, t5, t6, t7) = (
        theme_edit.clone(),
        theme_edit.clone(),
        theme_edit.clone(),
        theme_edit.clone(),
        theme_edit.clone(),
        theme_edit.clone(),
        theme_edit.clone(),
    );
    let remove = {
        let id = id.clone();
        move |_| settings.edit(|d| d.plugins.retain(|p| p.id != id))
    };
    let in_use = {
        let id = id.clone();
        move || settings.draft.with(|d| d.routing.rules.iter().any(|r| r.plugins.contains(&id)))
    };
    let select = |value: &'static str,
                  zh: &'static str,
                  en: &'static str,
                  current: Box<dyn Fn() -> Option<String> + Send + Sync>| {
        view! { <option value=value prop:selected=move || current().as_deref() == Some(value)>{lang.t(zh, en)}</option> }
    };
    let (s1, s2, s3, s4, s5, s6, s7, s8) =
        (p5.clone(), p5.clone(), p6.clone(), p6.clone(), p6.clone(), p7.clone(), p7.clone(), p7.clone());
    view! {
        <fieldset class="card plugin-card" data-testid=testid("card")>
            <legend><code>{id.clone()}</code></legend>
            <div class="plugin-grid">
                <div class="plugin-form">
                    <label class="line">{lang.t("名称（客服能看到）", "Name (agents see it)")}
                        <input data-testid=testid("name") prop:value=move || p1().name
                            on:input=move |ev| { let v = event_target_value(&ev); e1(Box::new(move |p| p.name = v)) } />
                    </label>
                    <label class="line">{lang.t("允许的网页（每行一个，例如 https://shop.example）", "Allowed pages (one per line, e.g. https://shop.example)")}
                        <textarea rows="2" data-testid=testid("origins") prop:value=move || p2().allowed_origins.join("\n")
                            on:input=move |ev| {
                                let v: Vec<String> = event_target_value(&ev).lines().map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect();
                                e2(Box::new(move |p| p.allowed_origins = v))
                            }></textarea>
                    </label>
                    <div class="theme-row">
                        <label>{lang.t("主色", "Colour")}
                            <input type="color" data-testid=testid("color") prop:value=move || normalized(p3().theme.primary.as_deref())
                                on:input=move |ev| { let v = event_target_value(&ev); t1(Box::new(move |t| t.primary = Some(v))) } />
                        </label>
                        <label>{lang.t("位置", "Side")}
                            <select data-testid=testid("position") on:change=move |ev| { let v = text(event_target_value(&ev)); t2(Box::new(move |t| t.position = v)) }>
                                {select("right", "右下", "Right", Box::new(move || Some(s1().theme.position.unwrap_or_else(|| "right".into()))))}
                                {select("left", "左下", "Left", Box::new(move || s2().theme.position))}
                            </select>
                        </label>
                        <label>{lang.t("形状", "Shape")}
                            <select data-testid=testid("shape") on:change=move |ev| { let v = text(event_target_value(&ev)); t3(Box::new(move |t| t.shape = v)) }>
                                {select("circle", "圆形", "Circle", Box::new(move || Some(s3().theme.shape.unwrap_or_else(|| "circle".into()))))}
                                {select("rounded", "圆角", "Rounded", Box::new(move || s4().theme.shape))}
                                {select("bar", "横条", "Bar", Box::new(move || s5().theme.shape))}
                            </select>
                        </label>
                        <label>{lang.t("图标", "Icon")}
                            <select data-testid=testid("icon") on:change=move |ev| { let v = text(event_target_value(&ev)); t4(Box::new(move |t| t.icon = v)) }>
                                {protocol::checks::THEME_ICONS.iter().map(|icon| {
                                    let p = p8.clone();
                                    view! { <option value=*icon prop:selected=move || p().theme.icon.as_deref().unwrap_or("chat") == *icon>{*icon}</option> }
                                }).collect_view()}
                            </select>
                        </label>
                        <label>{lang.t("配色", "Scheme")}
                            <select data-testid=testid("scheme") on:change=move |ev| {
                                let v = ColorScheme::parse(&event_target_value(&ev));
                                t5(Box::new(move |t| t.scheme = v))
                            }>
                                {select("light", "浅色", "Light", Box::new(move || Some(s6().theme.scheme.unwrap_or_default().as_str().to_string())))}
                                {select("dark", "深色", "Dark", Box::new(move || s7().theme.scheme.map(|s| s.as_str().to_string())))}
                                {select("auto", "跟随系统", "System", Box::new(move || s8().theme.scheme.map(|s| s.as_str().to_string())))}
                            </select>
                        </label>
                    </div>
                    <div class="theme-row">
                        <label>{lang.t("按钮文字（横条）", "Label (bar)")}
                            <input data-testid=testid("label") maxlength="40" prop:value=move || p4().theme.label.unwrap_or_default()
                                on:input=move |ev| { let v = text(event_target_value(&ev)); t6(Box::new(move |t| t.label = v)) } />
                        </label>
                        <label>{lang.t("窗口标题", "Window title")}
                            <input data-testid=testid("title") maxlength="60" prop:value=move || p9().theme.title.unwrap_or_default()
                                on:input=move |ev| { let v = text(event_target_value(&ev)); t7(Box::new(move |t| t.title = v)) } />
                        </label>
                    </div>
                    <label class="line">{lang.t("欢迎语（空：用站点的）", "Greeting (empty: the site's)")}
                        <input data-testid=testid("greeting") prop:value=move || plugin().greeting.unwrap_or_default()
                            on:input=move |ev| { let v = text(event_target_value(&ev)); e3(Box::new(move |p| p.greeting = v)) } />
                    </label>
                    <label class="switch">
                        <input type="checkbox" data-testid=testid("require-identity") prop:checked=move || p10().require_identity
                            on:change=move |ev| { let on = event_target_checked(&ev); e4(Box::new(move |p| p.require_identity = on)) } />
                        {lang.t("只接待验证过身份的访客（如会员中心）", "Verified shoppers only (a members' area)")}
                    </label>
                    <label class="line">{lang.t("粘贴到网页的代码", "The snippet to paste")}
                        <textarea readonly rows="2" class="snippet" data-testid=testid("snippet") prop:value=snippet.clone()></textarea>
                    </label>
                    <div class="row">
                        <button class="ghost" data-testid=testid("copy") on:click=copy>{lang.t("复制代码", "Copy the snippet")}</button>
                        {move || copied.get().then(|| view! { <small class="ok" role="status">{lang.t("已复制", "Copied")}</small> })}
                        <span class="grow"></span>
                        <button class="ghost danger-text" data-testid=testid("remove") disabled=in_use on:click=remove>{lang.t("删除插件", "Remove plugin")}</button>
                    </div>
                </div>
                <div class="previews">
                    <iframe class="preview desktop" title=lang.t("电脑预览", "Desktop preview") data-testid=testid("preview") src=preview.clone()></iframe>
                    <iframe class="preview phone" title=lang.t("手机预览", "Phone preview") data-testid=testid("preview-phone") src=preview></iframe>
                </div>
            </div>
        </fieldset>
    }
}

/// Adds a plugin (its id is fixed once made: snippets and rules name it).
#[component]
fn AddPlugin() -> impl IntoView {
    let settings = expect_context::<Settings>();
    let lang = expect_context::<Lang>();
    let id = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let add = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let plugin = PluginConfig {
            id: id.get_untracked().trim().to_string(),
            name: name.get_untracked().trim().to_string(),
            ..PluginConfig::default()
        };
        let mut draft = settings.draft.get_untracked();
        draft.plugins.push(plugin.clone());
        if let Err((_, why)) = protocol::checks::check_plugins(&draft) {
            error.set(Some(why));
            return;
        }
        error.set(None);
        settings.edit(|d| d.plugins.push(plugin));
        id.set(String::new());
        name.set(String::new());
    };
    view! {
        <form class="add" on:submit=add data-testid="add-plugin">
            <h3>{lang.t("添加网页插件", "Add a web plugin")}</h3>
            <label>{lang.t("插件 ID（a-z 0-9 - _）", "Plugin id (a-z 0-9 - _)")}<input data-testid="new-plugin-id" bind:value=id required maxlength="64" /></label>
            <label>{lang.t("名称", "Name")}<input data-testid="new-plugin-name" bind:value=name required maxlength="60" /></label>
            {move || error.get().map(|e| view! { <p class="field-error" role="alert" data-testid="new-plugin-error">{e}</p> })}
            <button type="submit" data-testid="new-plugin-add">{lang.t("添加", "Add")}</button>
        </form>
    }
}

/// A theme's tokens as the snippet's `data-theme` JSON.
fn theme_json(theme: &ThemeSetting) -> String {
    serde_json::to_string(&protocol::ThemeTokens::from(theme)).unwrap_or_default()
}

/// A colour for `<input type=color>` (which takes `#rrggbb` only).
fn normalized(color: Option<&str>) -> String {
    match color {
        Some(c) if c.len() == 7 => c.to_lowercase(),
        Some(c) if c.len() == 4 => c.chars().skip(1).fold("#".to_string(), |mut s, ch| {
            s.push(ch);
            s.push(ch);
            s
        }),
        _ => "#1677ff".into(),
    }
}

/// Percent-encodes a query value.
fn encode(value: &str) -> String {
    js_sys::encode_uri_component(value).as_string().unwrap_or_default()
}
