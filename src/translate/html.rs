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

#[cfg(test)]
mod tests {
    use super::*;

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
