//! Settings → Service hours (服务时间): always open, or weekly spans in the site's time zone
//! (spans may cross midnight: `22:00-02:00`). Outside them shoppers get the off-hours prompt and the
//! leave-message form. Checked with `protocol::checks::check_service_hours`, the API's own check.

use leptos::prelude::*;
use protocol::ServiceHoursSetting;

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

/// The service-hours page.
#[component]
pub fn Hours() -> impl IntoView {
    let settings = expect_context::<Settings>();
    let lang = expect_context::<Lang>();
    let hours = move || settings.draft.with(|d| d.routing.service_hours.clone());
    let always = move || hours().is_none();
    let problem = move || hours().and_then(|h| protocol::checks::check_service_hours(&h).err());
    let set_always = move |ev: leptos::ev::Event| {
        let on = event_target_checked(&ev);
        settings.edit(|d| {
            d.routing.service_hours = if on {
                None
            } else {
                let day = |open: bool| if open { vec!["09:00-18:00".to_string()] } else { Vec::new() };
                Some(ServiceHoursSetting { utc_offset_minutes: 480, weekly: (0..7).map(|i| day(i < 5)).collect() })
            }
        })
    };
    let edit = move |change: Box<dyn FnOnce(&mut ServiceHoursSetting)>| {
        settings.edit(|d| {
            if let Some(h) = d.routing.service_hours.as_mut() {
                change(h)
            }
        })
    };
    view! {
        <h2>{lang.t("服务时间", "Service hours")}</h2>
        <p class="hint">{lang.t(
            "服务时间以外，访客看到非工作时间提示和留言表单。每天可以写几段，用逗号分开；跨过午夜的一段（22:00-02:00）会延续到第二天。",
            "Outside these hours shoppers get the off-hours prompt and the leave-message form. Several spans a day, separated by commas; a span across midnight (22:00-02:00) goes on into the next day."
        )}</p>
        <label class="switch">
            <input type="checkbox" data-testid="hours-always" prop:checked=always on:change=set_always />
            {lang.t("全天候服务", "Always open")}
        </label>
        {move || problem().map(|(field, why)| view! { <p class="field-error" role="alert" data-testid="hours-error">{field} ": " {why}</p> })}
        <Show when=move || !always()>
            <label class="line">{lang.t("时区", "Time zone")}
                <select data-testid="hours-zone" on:change=move |ev| {
                    if let Ok(minutes) = event_target_value(&ev).parse::<i32>() { edit(Box::new(move |h| h.utc_offset_minutes = minutes)) }
                }>
                    {ZONES.iter().map(|(minutes, name)| {
                        let minutes = *minutes;
                        view! { <option value=minutes.to_string() prop:selected=move || hours().is_some_and(|h| h.utc_offset_minutes == minutes)>{*name}</option> }
                    }).collect_view()}
                </select>
            </label>
            <div class="card">
                {DAYS.iter().enumerate().map(|(i, (zh, en))| view! {
                    <label class="day">
                        <span>{lang.t(zh, en)}</span>
                        <input data-testid=format!("hours-day-{i}") placeholder=lang.t("休息", "closed")
                            prop:value=move || hours().and_then(|h| h.weekly.get(i).cloned()).unwrap_or_default().join(", ")
                            on:input=move |ev| {
                                let spans: Vec<String> = event_target_value(&ev).split([',', '，']).map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect();
                                edit(Box::new(move |h| if let Some(day) = h.weekly.get_mut(i) { *day = spans }))
                            } />
                    </label>
                }).collect_view()}
            </div>
        </Show>
    }
}
