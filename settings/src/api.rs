//! The settings app's state and network calls: the console's session, the settings as read (with
//! their version), the draft being edited, saving at the version read, and the history.

use leptos::prelude::*;
use protocol::settings::{SaveEffect, SaveImpact, SettingsChange, SettingsSave, SettingsView};
use protocol::SiteConfig;
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
}

/// Where the settings stand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Load {
    /// Being read.
    Loading,
    /// Read; the draft is editable.
    Ready,
    /// No console session in this tab.
    SignedOut,
    /// The agent may not manage the settings.
    Forbidden,
    /// Reading failed (the message says why).
    Failed(String),
}

/// The outcome of the last save, shown in the save bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Saved {
    /// Nothing saved since the page was read.
    Idle,
    /// Saving (or asking what the save would do).
    Busy,
    /// The save would move open conversations: said first, saved only when confirmed.
    Confirm(Vec<SaveEffect>),
    /// Saved as this version.
    Done(u64),
    /// Someone else saved after this page was read: reload, then make the change again.
    Conflict(String),
    /// Refused (the message says why).
    Refused(String),
}

/// The app's state, shared through the context.
#[derive(Clone, Copy)]
pub struct Settings {
    /// The console session.
    pub session: StoredValue<Option<Session>>,
    /// Where reading stands.
    pub load: RwSignal<Load>,
    /// The settings as last read.
    pub view: RwSignal<Option<SettingsView>>,
    /// The configuration being edited.
    pub draft: RwSignal<SiteConfig>,
    /// The last save's outcome.
    pub saved: RwSignal<Saved>,
    /// The history, newest first.
    pub history: RwSignal<Vec<SettingsChange>>,
}

impl Settings {
    /// Reads the console's session and starts loading the settings.
    pub fn start() -> Self {
        let session =
            client::session_get("console:session").and_then(|text| serde_json::from_str::<Session>(&text).ok());
        let settings = Self {
            session: StoredValue::new(session),
            load: RwSignal::new(Load::Loading),
            view: RwSignal::new(None),
            draft: RwSignal::new(SiteConfig::default()),
            saved: RwSignal::new(Saved::Idle),
            history: RwSignal::new(Vec::new()),
        };
        settings.reload();
        settings
    }

    fn path(&self, rest: &str) -> Option<(String, String)> {
        self.session.with_value(|s| s.as_ref().map(|s| (format!("/api/v1/sites/{}/{rest}", s.site), s.token.clone())))
    }

    /// Reads the settings anew (after a conflict, or on start); the draft starts over from them.
    pub fn reload(self) {
        let Some((path, token)) = self.path("settings") else {
            self.load.set(Load::SignedOut);
            return;
        };
        self.load.set(Load::Loading);
        leptos::task::spawn_local(async move {
            match client::get_text(&path, &token).await.map(|t| serde_json::from_str::<SettingsView>(&t)) {
                Ok(Ok(view)) => {
                    self.draft.set(view.config.clone());
                    self.view.set(Some(view));
                    self.saved.set(Saved::Idle);
                    self.load.set(Load::Ready);
                }
                Ok(Err(err)) => self.load.set(Load::Failed(err.to_string())),
                Err(err) if err.code() == "forbidden" => self.load.set(Load::Forbidden),
                Err(err) if err.code() == "unauthorized" => self.load.set(Load::SignedOut),
                Err(err) => self.load.set(Load::Failed(err.message())),
            }
        });
    }

    /// Saves the draft, first asking the Desk what the save would do to open conversations: when
    /// it would move some, that is said and the save waits for [`Settings::save_anyway`].
    pub fn save(self) {
        let Some((path, token)) = self.path("settings/impact") else { return };
        let Some(version) = self.view.with_untracked(|v| v.as_ref().map(|v| v.version)) else { return };
        let body = SettingsSave { version, config: self.draft.get_untracked() };
        let Ok(json) = serde_json::to_string(&body) else { return };
        self.saved.set(Saved::Busy);
        leptos::task::spawn_local(async move {
            match client::send_text("POST", &path, &token, &json).await.map(|t| serde_json::from_str::<SaveImpact>(&t))
            {
                Ok(Ok(impact)) if !impact.effects.is_empty() => self.saved.set(Saved::Confirm(impact.effects)),
                Ok(_) => self.save_anyway(),
                Err(err) => self.saved.set(Saved::Refused(err.message())),
            }
        });
    }

    /// Saves the draft at the version it was read at.
    pub fn save_anyway(self) {
        let Some((path, token)) = self.path("settings") else { return };
        let Some(version) = self.view.with_untracked(|v| v.as_ref().map(|v| v.version)) else { return };
        let body = SettingsSave { version, config: self.draft.get_untracked() };
        let Ok(json) = serde_json::to_string(&body) else { return };
        self.saved.set(Saved::Busy);
        leptos::task::spawn_local(async move {
            #[derive(Deserialize)]
            struct Answer {
                version: u64,
            }
            match client::send_text("PUT", &path, &token, &json).await {
                Ok(text) => {
                    let version = serde_json::from_str::<Answer>(&text).map(|a| a.version).unwrap_or(version + 1);
                    // Passwords typed are sent once; the view the draft came from moves to the saved version.
                    self.draft.update(|d| d.agents.iter_mut().for_each(|a| a.password = None));
                    self.view.update(|v| {
                        if let Some(v) = v {
                            v.version = version;
                            v.config = self.draft.get_untracked();
                        }
                    });
                    self.saved.set(Saved::Done(version));
                }
                Err(err) if err.code() == "version_conflict" => self.saved.set(Saved::Conflict(err.message())),
                Err(err) => self.saved.set(Saved::Refused(err.message())),
            }
        });
    }

    /// Changes the draft (a save's outcome no longer describes it).
    pub fn edit(self, change: impl FnOnce(&mut SiteConfig)) {
        self.draft.update(change);
        if self.saved.get_untracked() != Saved::Busy {
            self.saved.set(Saved::Idle);
        }
    }

    /// Whether the draft differs from the settings as read.
    pub fn dirty(self) -> bool {
        self.view.with(|v| v.as_ref().is_some_and(|v| self.draft.with(|d| *d != v.config)))
    }

    /// Reads the history of changes.
    pub fn load_history(self) {
        let Some((path, token)) = self.path("settings/history") else { return };
        leptos::task::spawn_local(async move {
            if let Ok(Ok(changes)) =
                client::get_text(&path, &token).await.map(|t| serde_json::from_str::<Vec<SettingsChange>>(&t))
            {
                self.history.set(changes);
            }
        });
    }

    /// Imports CRM contacts; the answer says how many were written and which were refused.
    pub async fn import_contacts(
        self,
        import: &protocol::ContactImport,
    ) -> Result<protocol::settings::ContactsImported, String> {
        let Some((path, token)) = self.path("settings/contacts") else { return Err("not signed in".into()) };
        let json = serde_json::to_string(import).map_err(|e| e.to_string())?;
        let text = client::send_text("PUT", &path, &token, &json).await.map_err(|e| e.message())?;
        serde_json::from_str(&text).map_err(|e| e.to_string())
    }

    /// A page of CRM contacts whose id, name or phone contains `q`.
    pub async fn search_contacts(self, q: &str, offset: u32) -> Result<protocol::settings::ContactsPage, String> {
        let query = js_sys::encode_uri_component(q).as_string().unwrap_or_default();
        let Some((path, token)) = self.path(&format!("settings/contacts?q={query}&offset={offset}")) else {
            return Err("not signed in".into());
        };
        let text = client::get_text(&path, &token).await.map_err(|e| e.message())?;
        serde_json::from_str(&text).map_err(|e| e.to_string())
    }

    /// The identity keys in full, for the signed-in agent's password (asked again); a wrong
    /// password or a locked account comes back as the message to show.
    pub async fn reveal_keys(self, password: String) -> Result<Vec<String>, String> {
        let Some((path, token)) = self.path("settings/identity/reveal") else { return Err("not signed in".into()) };
        let json = serde_json::to_string(&protocol::settings::RevealKeys { password }).map_err(|e| e.to_string())?;
        let text = client::send_text("POST", &path, &token, &json).await.map_err(|e| e.message())?;
        serde_json::from_str::<protocol::settings::IdentityKeys>(&text).map(|k| k.keys).map_err(|e| e.to_string())
    }

    /// The site id.
    pub fn site(self) -> String {
        self.session.with_value(|s| s.as_ref().map(|s| s.site.clone()).unwrap_or_default())
    }
}
