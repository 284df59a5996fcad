//! HTML for ActivityPub: plain text is escaped into paragraphs, and HTML is sanitised with an
//! allow-list close to what Mastodon keeps, because AS2 `content` is rendered as HTML.

use std::collections::HashSet;
use std::sync::OnceLock;

use crate::model::{Text, TextFormat};

/// Plain text as HTML: escaped, blank lines start paragraphs, newlines become `<br>`.
pub fn text_to_html(text: &str) -> String {
    let escaped = escape(text);
    let paragraphs: Vec<String> = escaped
        .split("\n\n")
        .filter(|p| !p.trim().is_empty())
        .map(|p| format!("<p>{}</p>", p.trim().replace('\n', "<br>")))
        .collect();
    paragraphs.concat()
}

/// Escapes `&`, `<`, `>`, `"` for HTML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

fn sanitizer() -> &'static ammonia::Builder<'static> {
    static BUILDER: OnceLock<ammonia::Builder<'static>> = OnceLock::new();
    BUILDER.get_or_init(|| {
        let tags: HashSet<&str> = [
            "p",
            "br",
            "span",
            "a",
            "del",
            "pre",
            "code",
            "em",
            "strong",
            "b",
            "i",
            "u",
            "ul",
            "ol",
            "li",
            "blockquote",
            "h1",
            "h2",
            "h3",
            "h4",
            "h5",
            "h6",
            "img",
            "sub",
            "sup",
            "small",
            "s",
            "abbr",
            "q",
            "hr",
        ]
        .into_iter()
        .collect();
        let mut b = ammonia::Builder::default();
        b.tags(tags)
            .add_generic_attributes(["class", "title", "lang"])
            .add_tag_attributes("a", ["href", "rel", "target"])
            .add_tag_attributes("img", ["src", "alt", "width", "height"])
            .link_rel(None)
            .url_schemes(
                ["http", "https", "mailto", "xmpp", "gemini"]
                    .into_iter()
                    .collect(),
            );
        b
    })
}

/// Sanitised HTML for any text: plain text and XHTML are converted first.
pub fn to_safe_html(text: &Text, sanitize: bool) -> Text {
    let html = match text.format {
        TextFormat::Text => text_to_html(&text.value),
        TextFormat::Html | TextFormat::Xhtml => text.value.clone(),
    };
    let value = if sanitize {
        sanitizer().clean(&html).to_string()
    } else {
        html
    };
    Text {
        value,
        format: TextFormat::Html,
        lang: text.lang.clone(),
    }
}

/// Plain text for a content warning: AS2 servers show `summary` of a post verbatim (Mastodon
/// stores it as the spoiler text), so markup must not reach it. HTML is reduced to its text.
pub fn to_plain_text(text: &Text) -> Text {
    let value = match text.format {
        TextFormat::Text => text.value.trim().to_string(),
        TextFormat::Html | TextFormat::Xhtml => html_to_text(&text.value),
    };
    Text {
        value,
        format: TextFormat::Text,
        lang: text.lang.clone(),
    }
}

/// The text an HTML fragment shows: tags removed (`<br>` and block ends become line breaks),
/// character references decoded, surrounding whitespace trimmed.
pub fn html_to_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(i) = rest.find(['<', '&']) {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        if let Some(tag) = tail.strip_prefix('<') {
            let Some(end) = tag.find('>') else {
                // An unterminated tag shows as text in browsers.
                out.push_str(tail);
                rest = "";
                break;
            };
            let closing = tag.starts_with('/');
            let name = tag[..end]
                .trim_start_matches('/')
                .chars()
                .take_while(char::is_ascii_alphanumeric)
                .collect::<String>()
                .to_ascii_lowercase();
            if name == "br" || (closing && matches!(name.as_str(), "p" | "div" | "li")) {
                out.push('\n');
            }
            rest = &tag[end + 1..];
        } else {
            let (decoded, used) = decode_reference(tail);
            out.push_str(&decoded);
            rest = &tail[used..];
        }
    }
    out.push_str(rest);
    out.trim().to_string()
}

/// Decodes the character reference at the start of `s` (which starts with `&`); returns the
/// text and the bytes used. An unknown reference is kept as written.
fn decode_reference(s: &str) -> (String, usize) {
    let Some(semi) = s.find(';').filter(|&n| n <= 12) else {
        return ("&".into(), 1);
    };
    let body = &s[1..semi];
    let named = match body {
        "amp" => Some('&'),
        "lt" => Some('<'),
        "gt" => Some('>'),
        "quot" => Some('"'),
        "apos" => Some('\''),
        "nbsp" => Some('\u{a0}'),
        _ => None,
    };
    let numeric = || {
        let digits = body.strip_prefix('#')?;
        let code = match digits.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => digits.parse().ok()?,
        };
        char::from_u32(code)
    };
    match named.or_else(numeric) {
        Some(c) => (c.to_string(), semi + 1),
        None => ("&".into(), 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_reduces_to_its_text() {
        assert_eq!(
            html_to_text("<p>a &amp; <b>b</b></p><p>c&#x21;&#33;<br/>d &bogus; &</p>"),
            "a & b\nc!!\nd &bogus; &"
        );
        assert_eq!(html_to_text("x < y"), "x < y");
    }

    #[test]
    fn text_becomes_paragraphs() {
        assert_eq!(
            text_to_html("a <b>\nc\n\nd"),
            "<p>a &lt;b&gt;<br>c</p><p>d</p>"
        );
    }

    #[test]
    fn scripts_are_removed_mentions_kept() {
        let t = Text::html(
            r#"<p><span class="h-card"><a href="https://x.example/u" class="u-url mention">@u</a></span> hi<script>alert(1)</script><img src="javascript:x" onerror="y"></p>"#,
        );
        let out = to_safe_html(&t, true).value;
        assert!(!out.contains("script"), "{out}");
        assert!(!out.contains("onerror"), "{out}");
        assert!(!out.contains("javascript"), "{out}");
        assert!(out.contains(r#"class="u-url mention""#), "{out}");
        assert!(out.contains(r#"href="https://x.example/u""#), "{out}");
    }
}
