//! The conditions of a rule (beyond its own field test, Settings → Rules) or of a session group
//! (Settings → Workbench): each on visitor info, a pre-chat
//! answer, the page URL or the visitor's place (country, region, city, as the edge saw the
//! connection), combined with AND or OR; and the comparison (equals, contains, one of, present)
//! that a rule and each of its conditions share. Checked with `protocol::checks::check_rules` or
//! `check_workbench`, the API's own checks.

use leptos::prelude::*;
use protocol::{ConditionOn, ConditionSetting, RuleSetting, SiteConfig, PLACE_FIELDS};

use crate::api::Settings;
use crate::app::Lang;

/// How a test compares.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Test {
    /// Equals the value.
    Equals,
    /// Contains the value.
    Contains,
    /// Is one of the values (commas).
    OneOf,
    /// Has any value.
    Present,
}

/// Something with the three ways to compare: a rule's own test and each of its conditions.
pub trait Compares {
    /// `(equals, contains, one_of)`.
    fn parts(&self) -> (&Option<String>, &Option<String>, &Vec<String>);
    /// The same, to change.
    fn parts_mut(&mut self) -> (&mut Option<String>, &mut Option<String>, &mut Vec<String>);
}

impl Compares for RuleSetting {
    fn parts(&self) -> (&Option<String>, &Option<String>, &Vec<String>) {
        (&self.equals, &self.contains, &self.one_of)
    }
    fn parts_mut(&mut self) -> (&mut Option<String>, &mut Option<String>, &mut Vec<String>) {
        (&mut self.equals, &mut self.contains, &mut self.one_of)
    }
}

impl Compares for ConditionSetting {
    fn parts(&self) -> (&Option<String>, &Option<String>, &Vec<String>) {
        (&self.equals, &self.contains, &self.one_of)
    }
    fn parts_mut(&mut self) -> (&mut Option<String>, &mut Option<String>, &mut Vec<String>) {
        (&mut self.equals, &mut self.contains, &mut self.one_of)
    }
}

/// How `item` compares.
pub fn test(item: &impl Compares) -> Test {
    match item.parts() {
        (Some(_), _, _) => Test::Equals,
        (None, Some(_), _) => Test::Contains,
        (None, None, one_of) if !one_of.is_empty() => Test::OneOf,
        _ => Test::Present,
    }
}

/// The value it compares with, as typed (one-of values separated by commas).
pub fn value(item: &impl Compares) -> String {
    let (equals, contains, one_of) = item.parts();
    equals.clone().or_else(|| contains.clone()).unwrap_or_else(|| one_of.join(", "))
}

/// Writes a comparison and its value.
pub fn set_test(item: &mut impl Compares, test: Test, value: &str) {
    let (equals, contains, one_of) = item.parts_mut();
    *equals = None;
    *contains = None;
    one_of.clear();
    match test {
        Test::Equals => *equals = Some(value.to_string()),
        Test::Contains => *contains = Some(value.to_string()),
        Test::OneOf => {
            *one_of = value.split([',', '，']).map(str::trim).filter(|v| !v.is_empty()).map(String::from).collect();
        }
        Test::Present => {}
    }
}

/// The test a `<select>` value names.
pub fn parse_test(text: &str) -> Test {
    match text {
        "contains" => Test::Contains,
        "one_of" => Test::OneOf,
        "present" => Test::Present,
        _ => Test::Equals,
    }
}

/// How a test compares and with what value: the `<select>` of the four tests and, unless the
/// value need only be present, the value's input (`{testid}-test`, `{testid}-value`).
#[component]
pub fn Comparison(
    testid: String,
    test: Signal<Test>,
    value: Signal<String>,
    set_test: Callback<Test>,
    set_value: Callback<String>,
) -> impl IntoView {
    let lang = expect_context::<Lang>();
    let option = move |key: &'static str, which: Test, zh: &'static str, en: &'static str| {
        view! { <option value=key prop:selected=move || test.get() == which>{lang.t(zh, en)}</option> }
    };
    view! {
        <label>{lang.t("判断", "Test")}
            <select data-testid=format!("{testid}-test") on:change=move |ev| set_test.run(parse_test(&event_target_value(&ev)))>
                {option("equals", Test::Equals, "等于", "equals")}
                {option("contains", Test::Contains, "包含", "contains")}
                {option("one_of", Test::OneOf, "是其中之一（逗号分隔）", "is one of (commas)")}
                {option("present", Test::Present, "有值", "is present")}
            </select>
        </label>
        <Show when=move || test.get() != Test::Present>
            <label>{lang.t("值", "Value")}
                <input data-testid=format!("{testid}-value") prop:value=move || value.get()
                    on:input=move |ev| set_value.run(event_target_value(&ev)) />
            </label>
        </Show>
    }
}

/// The callbacks that write a comparison into the item `edit` changes.
pub fn comparison_setters<T: Compares + Clone + 'static>(
    current: impl Fn() -> T + Clone + Send + Sync + 'static,
    edit: impl Fn(Box<dyn FnOnce(&mut T)>) + Clone + Send + Sync + 'static,
) -> (Callback<Test>, Callback<String>) {
    let edit2 = edit.clone();
    let set_kind = Callback::new(move |kind: Test| {
        let typed = value(&current());
        edit(Box::new(move |item| set_test(item, kind, &typed)))
    });
    let set_value = Callback::new(move |typed: String| {
        edit2(Box::new(move |item| {
            let kind = test(item);
            set_test(item, if kind == Test::Present { Test::Equals } else { kind }, &typed)
        }))
    });
    (set_kind, set_value)
}

const ONS: [(ConditionOn, &str, &str, &str); 4] = [
    (ConditionOn::Visitor, "visitor", "访客信息（含自定义字段）", "Visitor info (custom fields too)"),
    (ConditionOn::PreChat, "pre_chat", "咨询前表单", "Pre-chat answer"),
    (ConditionOn::PageUrl, "page_url", "页面网址", "Page URL"),
    (ConditionOn::Place, "place", "访客地区", "Visitor's location"),
];

const PLACES: [(&str, &str, &str); 3] = [
    ("country", "国家/地区代码（如 CN、US）", "Country code (CN, US)"),
    ("region", "省/州", "Region"),
    ("city", "城市", "City"),
];

/// Reads a holder's conditions and whether any one is enough.
type Read = fn(&SiteConfig, usize) -> Option<(&Vec<ConditionSetting>, bool)>;

/// The same, to change.
type Write = fn(&mut SiteConfig, usize) -> Option<(&mut Vec<ConditionSetting>, &mut bool)>;

/// What holds a list of conditions: a rule or a session group (会话分组), found by index.
#[derive(Clone, Copy)]
pub struct Holder {
    /// The test ids' prefix (`rule`, `session-group`).
    pub prefix: &'static str,
    /// The path the checks name it by (`routing.rules`, `workbench.session_groups`).
    pub path: &'static str,
    /// Under its path, where the errors this list shows begin (`.conditions`; empty: all of
    /// the holder's, as a rule shows them here).
    pub errors: &'static str,
    /// Its place in the list.
    pub index: usize,
    /// Its conditions and whether any one is enough.
    pub read: Read,
    /// The same, to change.
    pub write: Write,
    /// The check of the settings that holds it.
    pub check: fn(&SiteConfig) -> Result<(), (String, String)>,
}

impl Holder {
    /// Rule `index`.
    pub fn rule(index: usize) -> Self {
        Holder {
            prefix: "rule",
            path: "routing.rules",
            errors: "",
            index,
            read: |d, i| d.routing.rules.get(i).map(|r| (&r.conditions, r.match_any)),
            write: |d, i| d.routing.rules.get_mut(i).map(|r| (&mut r.conditions, &mut r.match_any)),
            check: protocol::checks::check_rules,
        }
    }

    /// Session group `index`.
    pub fn session_group(index: usize) -> Self {
        Holder {
            prefix: "session-group",
            path: "workbench.session_groups",
            errors: ".conditions",
            index,
            read: |d, i| d.workbench.session_groups.get(i).map(|g| (&g.conditions, g.match_any)),
            write: |d, i| d.workbench.session_groups.get_mut(i).map(|g| (&mut g.conditions, &mut g.match_any)),
            check: protocol::checks::check_workbench,
        }
    }

    fn testid(self, what: &str) -> String {
        format!("{}-{}-{what}", self.prefix, self.index)
    }
}

/// The conditions of `of` (beyond a rule's own field test), and whether all or any must pass.
#[component]
pub fn MoreConditions(of: Holder) -> impl IntoView {
    let settings = expect_context::<Settings>();
    let lang = expect_context::<Lang>();
    let index = of.index;
    let count = move || settings.draft.with(|d| (of.read)(d, index).map_or(0, |(c, _)| c.len()));
    let any = move || settings.draft.with(|d| (of.read)(d, index).is_some_and(|(_, any)| any));
    let problem = move || {
        settings.draft.with(|d| {
            (of.check)(d).err().filter(|(field, _)| field.starts_with(&format!("{}[{index}]{}", of.path, of.errors)))
        })
    };
    let add = move |_| {
        settings.edit(|d| {
            if let Some((conditions, _)) = (of.write)(d, index) {
                conditions.push(ConditionSetting {
                    on: ConditionOn::PageUrl,
                    contains: Some(String::new()),
                    ..ConditionSetting::default()
                });
            }
        })
    };
    view! {
        <div class="more-conditions" data-testid=of.testid("conditions")>
            {move || (count() > 0).then(|| view! {
                <label class="inline">{lang.t("条件组合", "Combine the tests")}
                    <select data-testid=of.testid("match") on:change=move |ev| {
                        let picked = event_target_value(&ev) == "any";
                        settings.edit(|d| if let Some((_, any)) = (of.write)(d, index) { *any = picked })
                    }>
                        <option value="all" prop:selected=move || !any()>{lang.t("全部满足（并且）", "all must pass (AND)")}</option>
                        <option value="any" prop:selected=any>{lang.t("满足任一（或者）", "any one is enough (OR)")}</option>
                    </select>
                </label>
            })}
            <ul class="rules">
                {move || (0..count()).map(|i| view! { <ConditionRow of index=i /> }).collect_view()}
            </ul>
            {move || problem().map(|(field, why)| view! { <p class="field-error" role="alert" data-testid=of.testid("error")>{field} ": " {why}</p> })}
            <button class="ghost start" data-testid=of.testid("add-condition") on:click=add>
                {lang.t("＋ 添加条件（网址、地区、字段）", "+ Add a test (URL, location, field)")}
            </button>
        </div>
    }
}

/// One condition.
#[component]
fn ConditionRow(of: Holder, index: usize) -> impl IntoView {
    let settings = expect_context::<Settings>();
    let lang = expect_context::<Lang>();
    let condition = move || {
        settings.draft.with(|d| (of.read)(d, of.index).and_then(|(c, _)| c.get(index)).cloned().unwrap_or_default())
    };
    let edit = move |change: Box<dyn FnOnce(&mut ConditionSetting)>| {
        settings.edit(|d| {
            if let Some(c) = (of.write)(d, of.index).and_then(|(c, _)| c.get_mut(index)) {
                change(c);
            }
        })
    };
    let testid = move |what: &str| of.testid(&format!("condition-{index}-{what}"));
    let set_on = move |ev: leptos::ev::Event| {
        let picked = event_target_value(&ev);
        let on = ONS.iter().find(|(_, key, _, _)| *key == picked).map(|(on, ..)| *on).unwrap_or_default();
        edit(Box::new(move |c| {
            c.on = on;
            c.field = match on {
                ConditionOn::PageUrl => None,
                ConditionOn::Place => Some("country".into()),
                ConditionOn::Visitor | ConditionOn::PreChat => {
                    c.field.take().filter(|f| !PLACE_FIELDS.contains(&f.as_str()))
                }
            };
        }))
    };
    let (set_kind, set_value) = comparison_setters(condition, edit);
    view! {
        <li class="condition" data-testid=testid("row")>
            <label>{lang.t("看", "Looks at")}
                <select data-testid=testid("on") on:change=set_on>
                    {ONS.iter().map(|(on, key, zh, en)| {
                        let on = *on;
                        view! { <option value=*key prop:selected=move || condition().on == on>{lang.t(zh, en)}</option> }
                    }).collect_view()}
                </select>
            </label>
            {move || match condition().on {
                ConditionOn::PageUrl => ().into_any(),
                ConditionOn::Place => view! {
                    <label>{lang.t("哪一项", "Which")}
                        <select data-testid=testid("field") on:change=move |ev| {
                            let v = event_target_value(&ev);
                            edit(Box::new(move |c| c.field = Some(v)))
                        }>
                            {PLACES.iter().map(|(key, zh, en)| view! {
                                <option value=*key prop:selected=move || condition().field.as_deref() == Some(*key)>{lang.t(zh, en)}</option>
                            }).collect_view()}
                        </select>
                    </label>
                }.into_any(),
                ConditionOn::Visitor | ConditionOn::PreChat => view! {
                    <label>{lang.t("字段", "Field")}
                        <input data-testid=testid("field") placeholder="vip" prop:value=move || condition().field.unwrap_or_default()
                            on:input=move |ev| { let v = event_target_value(&ev).trim().to_string(); edit(Box::new(move |c| c.field = Some(v))) } />
                    </label>
                }.into_any(),
            }}
            <Comparison testid=of.testid(&format!("condition-{index}")) test=Signal::derive(move || test(&condition()))
                value=Signal::derive(move || value(&condition())) set_test=set_kind set_value=set_value />
            <button class="ghost danger-text" data-testid=testid("remove") aria-label=lang.t("删除条件", "Remove the test")
                on:click=move |_| settings.edit(|d| { if let Some((c, _)) = (of.write)(d, of.index) { c.remove(index); } })>
                "×"
            </button>
        </li>
    }
}
