//! Settings → Service hours (服务时间): always open, or weekly spans in the site's time zone
//! (spans may cross midnight: `22:00-02:00`); a group may keep hours of its own (a night shift).
//! Outside them shoppers get the off-hours prompt and the leave-message form. Checked with
//! `protocol::checks::check_service_hours`, the API's own check.

use leptos::prelude::*;
use protocol::{ServiceHoursSetting, SiteConfig};

use crate::api::Settings;
use crate::app::Lang;

/// Time zones offered, as minutes east of UTC.
const ZONES: [(i32, &str); 9] = [
    (480, "UTC+08:00 北京 / 香港 / 台北 / 新加坡"),
    (540, "UTC+09:00 东京 / 首尔"),
    (420, "UTC+07:00 曼谷 / 雅加达"),
    (330, "UTC+05:30 India"),
    (240, "UTC+04:00 Dubai"),
    (60, "UTC+01:00 Berlin / Paris (CET)"),
    (0, "UTC+00:00 London (GMT)"),
    (-300, "UTC−05:00 New York (EST)"),
    (-480, "UTC−08:00 Los Angeles (PST)"),
];

const DAYS: [(&str, &str); 7] = [
    ("周一", "Mon"),
    ("周二", "Tue"),
    ("周三", "Wed"),
    ("周四", "Thu"),
    ("周五", "Fri"),
    ("周六", "Sat"),
    ("周日", "Sun"),
];

/// Whose hours a [`Weekly`] edits.
#[derive(Clone, PartialEq, Eq)]
enum Whose {
    /// The site's.
    Site,
    /// A group's own (absent: the site's).
    Group(String),
}

impl Whose {
    fn get(&self, d: &SiteConfig) -> Option<ServiceHoursSetting> {
        match self {
            Whose::Site => d.routing.service_hours.clone(),
            Whose::Group(id) => d.groups.iter().find(|g| &g.id == id).and_then(|g| g.service_hours.clone()),
        }
    }

    fn slot<'a>(&self, d: &'a mut SiteConfig) -> Option<&'a mut Option<ServiceHoursSetting>> {
        match self {
            Whose::Site => Some(&mut d.routing.service_hours),
            Whose::Group(id) => d.groups.iter_mut().find(|g| &g.id == id).map(|g| &mut g.service_hours),
        }
    }

    fn testid(&self) -> String {
        match self {
            Whose::Site => "hours".into(),
            Whose::Group(id) => format!("group-{id}-hours"),
        }
    }
}

/// The service-hours page: the site's hours, then each group's.
#[component]
pub fn Hours() -> impl IntoView {
    let settings = expect_context::<Settings>();
    let lang = expect_context::<Lang>();
    let groups =
        move || settings.draft.with(|d| d.groups.iter().map(|g| (g.id.clone(), g.name.clone())).collect::<Vec<_>>());
    view! {
        <h2>{lang.t("服务时间", "Service hours")}</h2>
        <p class="hint">{lang.t(
            "服务时间以外，访客看到非工作时间提示和留言表单。每天可以写几段，用逗号分开；跨过午夜的一段（22:00-02:00）会延续到第二天。",
            "Outside these hours shoppers get the off-hours prompt and the leave-message form. Several spans a day, separated by commas; a span across midnight (22:00-02:00) goes on into the next day."
        )}</p>
        <Weekly whose=Whose::Site />
        {move || (!groups().is_empty()).then(|| view! {
            <h3>{lang.t("分组的服务时间", "Groups' hours")}</h3>
            <p class="hint">{lang.t(
                "分组可以有自己的服务时间（如夜班、周末组）；其他时间进入这个分组的访客看到非工作时间提示，到点后自动分配。",
                "A group may keep hours of its own (a night shift, a weekend team); outside them its shoppers get the off-hours prompt and are served when the hours begin."
            )}</p>
            {groups().into_iter().map(|(id, name)| view! {
                <fieldset class="card">
                    <legend>{if name.is_empty() { id.clone() } else { name }}</legend>
                    <Weekly whose=Whose::Group(id) />
                </fieldset>
            }).collect_view()}
        })}
    }
}

/// Always open (for a group: the site's hours), or weekly spans in a time zone.
#[component]
fn Weekly(whose: Whose) -> impl IntoView {
    let settings = expect_context::<Settings>();
    let lang = expect_context::<Lang>();
    let testid = whose.testid();
    let site = whose == Whose::Site;
    let hours = {
        let whose = whose.clone();
        move || settings.draft.with(|d| whose.get(d))
    };
    let always = {
        let hours = hours.clone();
        move || hours().is_none()
    };
    let problem = {
        let hours = hours.clone();
        let check = if site { protocol::checks::check_service_hours } else { protocol::checks::check_group_hours };
        move || hours().and_then(|h| check(&h).err())
    };
    let set_always = {
        let whose = whose.clone();
        move |ev: leptos::ev::Event| {
            let on = event_target_checked(&ev);
            let whose = whose.clone();
            settings.edit(move |d| {
                // A group starts from the site's hours, the site from office hours on weekdays.
                let start = d.routing.service_hours.clone().filter(|_| whose != Whose::Site).unwrap_or_else(|| {
                    let day = |open: bool| if open { vec!["09:00-18:00".to_string()] } else { Vec::new() };
                    ServiceHoursSetting { utc_offset_minutes: 480, weekly: (0..7).map(|i| day(i < 5)).collect() }
                });
                if let Some(slot) = whose.slot(d) {
                    *slot = if on { None } else { Some(start) };
                }
            })
        }
    };
    let edit = {
        let whose = whose.clone();
        move |change: Box<dyn FnOnce(&mut ServiceHoursSetting)>| {
            let whose = whose.clone();
            settings.edit(move |d| {
                if let Some(h) = whose.slot(d).and_then(Option::as_mut) {
                    change(h)
                }
            })
        }
    };
    let (h1, h2, a1) = (hours.clone(), hours.clone(), always.clone());
    let (e1, e2) = (edit.clone(), edit.clone());
    let (t1, t2, t3, t4) = (testid.clone(), testid.clone(), testid.clone(), testid.clone());
    view! {
        <label class="switch">
            <input type="checkbox" data-testid=format!("{t1}-always") prop:checked=always on:change=set_always />
            {if site { lang.t("全天候服务", "Always open") } else { lang.t("跟随网站的服务时间", "The site's hours") }}
        </label>
        {move || problem().map(|(field, why)| view! { <p class="field-error" role="alert" data-testid=format!("{t2}-error")>{field} ": " {why}</p> })}
        <Show when=move || !a1()>
            <label class="line">{lang.t("时区", "Time zone")}
                <select data-testid=format!("{t3}-zone") on:change={
                    let e1 = e1.clone();
                    move |ev| {
                        if let Ok(minutes) = event_target_value(&ev).parse::<i32>() { e1(Box::new(move |h| h.utc_offset_minutes = minutes)) }
                    }
                }>
                    {ZONES.iter().map(|(minutes, name)| {
                        let minutes = *minutes;
                        let h1 = h1.clone();
                        view! { <option value=minutes.to_string() prop:selected=move || h1().is_some_and(|h| h.utc_offset_minutes == minutes)>{*name}</option> }
                    }).collect_view()}
                </select>
            </label>
            <div class="card">
                {DAYS.iter().enumerate().map(|(i, (zh, en))| {
                    let (h2, e2) = (h2.clone(), e2.clone());
                    view! {
                        <label class="day">
                            <span>{lang.t(zh, en)}</span>
                            <input data-testid=format!("{t4}-day-{i}") placeholder=lang.t("休息", "closed")
                                prop:value=move || h2().and_then(|h| h.weekly.get(i).cloned()).unwrap_or_default().join(", ")
                                on:input=move |ev| {
                                    let spans: Vec<String> = event_target_value(&ev).split([',', '，']).map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect();
                                    e2(Box::new(move |h| if let Some(day) = h.weekly.get_mut(i) { *day = spans }))
                                } />
                        </label>
                    }
                }).collect_view()}
            </div>
        </Show>
    }
}
