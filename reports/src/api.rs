//! The reports page's state and its network: the console's session (this tab's copy of it), the
//! newest ask and its report, and opening a conversation in the workbench.

use leptos::prelude::*;
use protocol::report::{Report, ReportQuery};
use serde::Deserialize;

/// The console's signed-in agent, as the console keeps it in `sessionStorage`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Session {
    /// Site id.
    pub site: String,
    /// Agent id.
    pub agent_id: String,
    /// Agent token.
    pub token: String,
    /// Sees the whole site's figures.
    #[serde(default)]
    pub admin: bool,
}

/// Where the newest ask stands.
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// On its way.
    Waiting,
    /// Its report.
    Ready(Box<Report>),
    /// Refused or failed (the message says why).
    Failed(String),
    /// No console session in this tab.
    SignedOut,
}

/// The page's state, shared through the context.
#[derive(Clone, Copy)]
pub struct Reports {
    /// The console session.
    pub session: StoredValue<Option<Session>>,
    /// The newest ask (its `n` numbers it: only its answer is shown).
    pub query: RwSignal<ReportQuery>,
    /// Its answer.
    pub answer: RwSignal<Answer>,
}

impl Reports {
    /// Reads the console's session; the first ask is the caller's.
    pub fn start() -> Self {
        let session =
            client::session_get("console:session").and_then(|text| serde_json::from_str::<Session>(&text).ok());
        Self {
            session: StoredValue::new(session),
            query: RwSignal::new(ReportQuery::default()),
            answer: RwSignal::new(Answer::Waiting),
        }
    }

    /// Whether the agent sees the whole site.
    pub fn admin(self) -> bool {
        self.session.with_value(|s| s.as_ref().is_some_and(|s| s.admin))
    }

    /// Asks for a report; an older ask's answer that arrives later is dropped.
    pub fn ask(self, mut query: ReportQuery) {
        let Some((path, token)) = self
            .session
            .with_value(|s| s.as_ref().map(|s| (format!("/api/v1/sites/{}/reports", s.site), s.token.clone())))
        else {
            self.answer.set(Answer::SignedOut);
            return;
        };
        query.n = self.query.with_untracked(|q| q.n).wrapping_add(1);
        let n = query.n;
        let Ok(json) = serde_json::to_string(&query) else { return };
        self.query.set(query);
        self.answer.set(Answer::Waiting);
        leptos::task::spawn_local(async move {
            let answer = match client::send_text("POST", &path, &token, &json).await {
                Ok(text) => match serde_json::from_str::<Report>(&text) {
                    Ok(report) => Answer::Ready(Box::new(report)),
                    Err(err) => Answer::Failed(err.to_string()),
                },
                Err(err) if err.code() == "unauthorized" => Answer::SignedOut,
                Err(err) => Answer::Failed(err.message()),
            };
            if self.query.with_untracked(|q| q.n) == n {
                self.answer.set(answer);
            }
        });
    }
}

/// Asks the workbench (another tab of this origin) to open a conversation.
pub fn open_in_workbench(conversation_id: &str) {
    if let Ok(channel) = web_sys::BroadcastChannel::new("console:open") {
        let _ = channel.post_message(&wasm_bindgen::JsValue::from_str(conversation_id));
        channel.close();
    }
}
