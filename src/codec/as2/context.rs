//! The one `@context` every encoded document carries.

use serde_json::{Value, json};

/// The AS2 namespace; types and `Public` may arrive expanded with it.
pub const AS_NS: &str = "https://www.w3.org/ns/activitystreams#";

/// The canonical output context: AS2, security v1 (for `publicKey`), then Mastodon's terms
/// (PROTOCOLS.md §13.4, exact), `blurhash`, Mobilizon/PeerTube event terms and schema.org
/// address terms. `ostatus:verb` / `ostatus:objectType` are compact IRIs under the `ostatus`
/// prefix, so they need no term of their own.
pub fn context() -> Value {
    json!([
        "https://www.w3.org/ns/activitystreams",
        "https://w3id.org/security/v1",
        {
            "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
            "sensitive": "as:sensitive",
            "Hashtag": "as:Hashtag",
            "movedTo": {"@id": "as:movedTo", "@type": "@id"},
            "alsoKnownAs": {"@id": "as:alsoKnownAs", "@type": "@id"},
            "toot": "http://joinmastodon.org/ns#",
            "Emoji": "toot:Emoji",
            "featured": {"@id": "toot:featured", "@type": "@id"},
            "focalPoint": {"@container": "@list", "@id": "toot:focalPoint"},
            "blurhash": "toot:blurhash",
            "schema": "http://schema.org#",
            "PropertyValue": "schema:PropertyValue",
            "value": "schema:value",
            "ostatus": "http://ostatus.org#",
            "atomUri": "ostatus:atomUri",
            "inReplyToAtomUri": "ostatus:inReplyToAtomUri",
            "conversation": "ostatus:conversation",
            "mz": "https://joinmobilizon.org/ns#",
            "pt": "https://joinpeertube.org/ns#",
            "joinMode": {"@id": "mz:joinMode", "@type": "mz:joinModeType"},
            "repliesModerationOption": {
                "@id": "mz:repliesModerationOption",
                "@type": "mz:repliesModerationOptionType"
            },
            "timezone": {"@id": "mz:timezone", "@type": "schema:Text"},
            "commentsEnabled": {"@id": "pt:commentsEnabled", "@type": "schema:Boolean"},
            "maximumAttendeeCapacity": "schema:maximumAttendeeCapacity",
            "PostalAddress": "schema:PostalAddress",
            "address": "schema:address",
            "streetAddress": "schema:streetAddress",
            "addressLocality": "schema:addressLocality",
            "addressRegion": "schema:addressRegion",
            "postalCode": "schema:postalCode",
            "addressCountry": "schema:addressCountry"
        }
    ])
}
