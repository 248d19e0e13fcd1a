//! The message list a chat shows: stored messages by `seq`, then the client's own unsent ones.
//!
//! Pure data, no browser calls, so it is tested natively. Applying the same stored message twice,
//! or an ack before or after the message itself, never shows anything twice.

use protocol::{Author, ChatMessage, MessageBody};

/// Delivery state of a line, as the sender sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Sent to the socket (or waiting for it), not yet stored.
    Sending,
    /// Stored by the Desk.
    Sent,
    /// Refused (or its upload failed); shown with a retry button, never resent by itself.
    Failed,
}

/// One message as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// Client id: the stable key of the line.
    pub key: String,
    /// Position in the conversation once stored.
    pub seq: Option<u64>,
    /// Who wrote it.
    pub author: Author,
    /// What it says.
    pub body: MessageBody,
    /// When it was written (local clock until stored).
    pub at_ms: u64,
    /// Delivery state.
    pub status: Status,
}

impl Line {
    /// Who wrote it, as the UIs' `data-author` and CSS classes name it.
    pub fn role(&self) -> &'static str {
        match self.author {
            Author::Visitor => "visitor",
            Author::Agent { .. } => "agent",
            Author::System => "system",
        }
    }

    /// Whether the line is an image or file whose bytes are still on their way (no upload id yet).
    pub fn is_uploading(&self) -> bool {
        is_unuploaded(&self.body)
    }

    /// The text a bubble shows (uploads as their name and size until the UIs render them).
    pub fn display_text(&self) -> String {
        Self::preview(&self.body)
    }

    /// A one-line text for any message body (notifications, list previews).
    pub fn preview(body: &MessageBody) -> String {
        match body {
            MessageBody::Text { text } => text.clone(),
            MessageBody::Image { name, size, .. } | MessageBody::File { name, size, .. } => {
                format!("{name} ({} KB)", size.div_ceil(1024))
            }
            MessageBody::Card { title, price, .. } if !price.is_empty() => format!("{title} {price}"),
            MessageBody::Card { title, .. } => title.clone(),
        }
    }
}

/// The ordered lines of one conversation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Timeline {
    lines: Vec<Line>,
    last_seq: u64,
}

impl Timeline {
    /// All lines in display order.
    pub fn lines(&self) -> &[Line] {
        &self.lines
    }

    /// The highest `seq` up to which every message is here: what a reconnect or a sync resumes
    /// after, so a message that arrived early (before the ones around it) never hides a gap.
    pub fn last_seq(&self) -> u64 {
        self.last_seq
    }

    fn advance(&mut self) {
        // A scan per step rather than a sort: the widget ships no sorting code for this.
        while self.lines.iter().any(|l| l.seq == Some(self.last_seq + 1)) {
            self.last_seq += 1;
        }
    }

    /// Counts every message up to `seq` as here: the Desk left them out of a replay (`ready`'s
    /// `skipped_to`), so the next resume and the read receipts go on from the newest messages.
    pub fn skip_to(&mut self, seq: u64) {
        self.last_seq = self.last_seq.max(seq);
        self.advance();
    }

    /// Adds a line the user just wrote (status `Sending`).
    pub fn push_local(&mut self, key: String, author: Author, body: MessageBody, now_ms: u64) {
        if self.lines.iter().any(|l| l.key == key) {
            return;
        }
        self.lines.push(Line { key, seq: None, author, body, at_ms: now_ms, status: Status::Sending });
    }

    /// Applies a stored message: confirms the matching local line or inserts it in `seq` order.
    /// Returns true when the message was not on the timeline before (neither sent from here
    /// nor received earlier).
    pub fn apply(&mut self, message: ChatMessage) -> bool {
        let existing = self.lines.iter().position(|l| l.key == message.client_id || l.seq == Some(message.seq));
        if let Some(pos) = existing {
            self.lines.remove(pos);
        }
        self.place(Line {
            key: message.client_id,
            seq: Some(message.seq),
            author: message.author,
            body: message.body,
            at_ms: message.at_ms,
            status: Status::Sent,
        });
        self.advance();
        existing.is_none()
    }

    /// Marks a local line stored (the ack may arrive before or after the message itself), at
    /// the Desk's time `at_ms` (0: an ack that does not say keeps the line's own time). Returns
    /// the line as stored, `None` for a key this timeline does not hold.
    pub fn ack(&mut self, key: &str, seq: u64, at_ms: u64) -> Option<&Line> {
        let pos = self.lines.iter().position(|l| l.key == key)?;
        let mut line = self.lines.remove(pos);
        line.seq = Some(seq);
        line.status = Status::Sent;
        if at_ms != 0 {
            line.at_ms = at_ms;
        }
        self.place(line);
        self.advance();
        self.lines.iter().find(|l| l.key == key)
    }

    /// Lines still waiting to be stored, oldest first: resent after a reconnect. An upload whose
    /// bytes are still on their way (no upload id yet) is not ready to send.
    pub fn pending(&self) -> Vec<(String, MessageBody)> {
        self.lines
            .iter()
            .filter(|l| l.status == Status::Sending && !is_unuploaded(&l.body))
            .map(|l| (l.key.clone(), l.body.clone()))
            .collect()
    }

    /// Marks an unsent line failed (the Desk refused it, or its upload failed).
    pub fn fail(&mut self, key: &str) {
        if let Some(line) = self.lines.iter_mut().find(|l| l.key == key && l.status == Status::Sending) {
            line.status = Status::Failed;
        }
    }

    /// Puts a failed line back to sending and returns its body, to send again.
    pub fn retry(&mut self, key: &str) -> Option<MessageBody> {
        let line = self.lines.iter_mut().find(|l| l.key == key && l.status == Status::Failed)?;
        line.status = Status::Sending;
        Some(line.body.clone())
    }

    /// Replaces the body of an unsent line (an upload finished and got its id).
    pub fn set_body(&mut self, key: &str, body: MessageBody) {
        if let Some(line) = self.lines.iter_mut().find(|l| l.key == key && l.seq.is_none()) {
            line.body = body;
        }
    }

    /// Puts a stored line after every stored line with a smaller `seq`, before unsent lines.
    fn place(&mut self, line: Line) {
        let seq = line.seq.unwrap_or(u64::MAX);
        let pos = self.lines.iter().position(|l| l.seq.is_none_or(|s| s > seq)).unwrap_or(self.lines.len());
        self.lines.insert(pos, line);
    }
}

#[cfg(test)]
mod tests;

/// An image or file line whose bytes have not been uploaded yet.
fn is_unuploaded(body: &MessageBody) -> bool {
    matches!(body, MessageBody::Image { upload_id, .. } | MessageBody::File { upload_id, .. } if upload_id.is_empty())
}
