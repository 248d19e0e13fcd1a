//! The consult button pinned in the corner: icon (built-in or an image), label, shape, unread
//! badge, and the optional chime for new agent messages.

use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::api::Chat;
use crate::i18n::Strings;
use crate::theme::icon_path;

const CLOSE_PATH: &str = "M6.4 5 5 6.4 10.6 12 5 17.6 6.4 19l5.6-5.6 5.6 5.6 1.4-1.4-5.6-5.6L19 6.4 17.6 5 12 10.6z";

/// The launcher button; it toggles the window.
#[component]
pub fn Launcher() -> impl IntoView {
    let chat = expect_context::<Chat>();
    let strings = expect_context::<&'static Strings>();
    let label =
        move || chat.theme.with(|t| if t.label.is_empty() { strings.open_chat.to_string() } else { t.label.clone() });
    let custom_icon = move || chat.theme.with(|t| t.icon.starts_with("http").then(|| t.icon.clone()));
    let is_bar = move || chat.theme.with(|t| t.shape == "bar");
    let icon = move || {
        if chat.open.get() && !is_bar() {
            return view! { <svg class="cw-icon" viewBox="0 0 24 24" aria-hidden="true"><path fill="currentColor" d=CLOSE_PATH /></svg> }.into_any();
        }
        match custom_icon() {
            Some(src) => {
                view! { <img class="cw-icon cw-icon-img" src=src alt="" data-testid="cw-launcher-img" /> }.into_any()
            }
            None => {
                let d = chat.theme.with(|t| icon_path(&t.icon));
                view! { <svg class="cw-icon" viewBox="0 0 24 24" aria-hidden="true"><path fill="currentColor" d=d /></svg> }.into_any()
            }
        }
    };
    view! {
        <button
            type="button"
            class="cw-launcher"
            data-testid="cw-launcher"
            aria-label=move || if chat.open.get() { strings.close_chat.to_string() } else { label() }
            aria-expanded=move || chat.open.get().to_string()
            on:click=move |_| chat.open.update(|o| *o = !*o)
        >
            {icon}
            <Show when=is_bar>
                <span class="cw-label" data-testid="cw-launcher-label">{label}</span>
            </Show>
            <Show when=move || { chat.unread.get() > 0 }>
                <span class="cw-badge" data-testid="cw-unread" aria-label=move || format!("{}{}", chat.unread.get(), strings.unread)>
                    {move || chat.unread.get()}
                </span>
            </Show>
        </button>
    }
}

/// A short two-tone chime (Web Audio; nothing is downloaded). Browsers allow it only after the
/// visitor has interacted with the page, so a refusal is silent.
pub fn chime() {
    let Ok(ctx) = web_sys::AudioContext::new() else { return };
    let now = ctx.current_time();
    for (i, freq) in [880.0_f32, 1_320.0].into_iter().enumerate() {
        let (Ok(osc), Ok(gain)) = (ctx.create_oscillator(), ctx.create_gain()) else { return };
        osc.frequency().set_value(freq);
        let start = now + 0.12 * i as f64;
        let _ = gain.gain().set_value_at_time(0.12, start);
        let _ = gain.gain().exponential_ramp_to_value_at_time(0.001, start + 0.25);
        let _ = osc.connect_with_audio_node(&gain).and_then(|_| gain.connect_with_audio_node(&ctx.destination()));
        let _ = osc.start_with_when(start);
        let _ = osc.stop_with_when(start + 0.3);
    }
    // Close the context once the chime is over.
    let closer = wasm_bindgen::closure::Closure::once_into_js(move || {
        let _ = ctx.close();
    });
    if let Some(window) = web_sys::window() {
        let _ = window.set_timeout_with_callback_and_timeout_and_arguments_0(closer.unchecked_ref(), 1_000);
    }
}
