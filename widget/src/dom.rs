//! The few DOM helpers the widget's views are written with: elements with attributes, SVG
//! icons, and [`Slot`], a place in the page that holds at most one element, rebuilt only when
//! what it shows changes.

use wasm_bindgen::{JsCast, UnwrapThrowExt};
use web_sys::{Document, Element, HtmlElement, Node};

/// The widget page's document.
pub fn doc() -> Document {
    web_sys::window().and_then(|w| w.document()).expect_throw("a document")
}

/// `<tag attr=value ...>`.
pub fn el(tag: &str, attrs: &[(&str, &str)]) -> Element {
    let el = doc().create_element(tag).expect_throw("an element");
    for (name, value) in attrs {
        let _ = el.set_attribute(name, value);
    }
    el
}

/// `<tag attr=value ...>text</tag>`.
pub fn text_el(tag: &str, attrs: &[(&str, &str)], text: &str) -> Element {
    let el = el(tag, attrs);
    el.set_text_content(Some(text));
    el
}

/// Appends `children` to `parent`, returning `parent`.
pub fn add(parent: &Element, children: &[&Element]) -> Element {
    for child in children {
        let _ = parent.append_child(child);
    }
    parent.clone()
}

/// A 24×24 icon drawn by one path, hidden from assistive technology.
pub fn icon(class: &str, path: &str) -> Element {
    const NS: Option<&str> = Some("http://www.w3.org/2000/svg");
    let svg = doc().create_element_ns(NS, "svg").expect_throw("svg");
    if !class.is_empty() {
        let _ = svg.set_attribute("class", class);
    }
    let _ = svg.set_attribute("viewBox", "0 0 24 24");
    let _ = svg.set_attribute("aria-hidden", "true");
    let p = doc().create_element_ns(NS, "path").expect_throw("path");
    let _ = p.set_attribute("fill", "currentColor");
    let _ = p.set_attribute("d", path);
    let _ = svg.append_child(&p);
    svg
}

/// Sets an attribute only when it changes.
pub fn set_attr(el: &Element, name: &str, value: &str) {
    if el.get_attribute(name).as_deref() != Some(value) {
        let _ = el.set_attribute(name, value);
    }
}

/// Sets the text only when it changes.
pub fn set_text(el: &Element, text: &str) {
    if el.text_content().as_deref() != Some(text) {
        el.set_text_content(Some(text));
    }
}

/// The first element under `root` matching `selector`.
pub fn find(root: &Element, selector: &str) -> Option<Element> {
    root.query_selector(selector).ok().flatten()
}

/// The element matching `selector` in the document, as an `HtmlElement`.
pub fn find_html(selector: &str) -> Option<HtmlElement> {
    doc().query_selector(selector).ok().flatten().and_then(|e| e.dyn_into().ok())
}

/// Moves focus to the element matching `selector`.
pub fn focus(selector: &str) {
    if let Some(el) = find_html(selector) {
        let _ = el.focus();
    }
}

/// A place among a parent's children that shows at most one element, built from a key (what it
/// shows) and rebuilt only when the key changes. An empty comment marks the place.
pub struct Slot<K> {
    anchor: Node,
    current: Option<(K, Element)>,
}

impl<K: PartialEq> Slot<K> {
    /// A slot at the end of `parent`'s children.
    pub fn new(parent: &Element) -> Self {
        let anchor: Node = doc().create_comment("").into();
        let _ = parent.append_child(&anchor);
        Self { anchor, current: None }
    }

    /// Shows what `want` describes (nothing for `None`); `build` makes the element when the key
    /// changed. Returns whether anything changed.
    pub fn show(&mut self, want: Option<K>, build: impl FnOnce(&K) -> Element) -> bool {
        if self.current.as_ref().map(|(k, _)| k) == want.as_ref() {
            return false;
        }
        if let Some((_, old)) = self.current.take() {
            old.remove();
        }
        if let Some(key) = want {
            let el = build(&key);
            if let Some(parent) = self.anchor.parent_node() {
                let _ = parent.insert_before(&el, Some(&self.anchor));
            }
            self.current = Some((key, el));
        }
        true
    }
}
