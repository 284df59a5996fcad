//! Data a decoder read but the model has no field for, kept verbatim and in order.

/// One XML attribute of an unknown element: namespace URI, local name, value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct XmlAttribute {
    /// Namespace URI, `None` for unprefixed attributes.
    pub ns: Option<String>,
    /// Local name.
    pub name: String,
    /// Unescaped value.
    pub value: String,
}

/// A node inside an unknown XML element.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum XmlNode {
    /// A child element.
    Element(XmlElement),
    /// Unescaped character data.
    Text(String),
}

/// An XML element the Atom codec does not model (`statusnet:notice_info`, `link rel=edit`, …).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct XmlElement {
    /// Namespace URI, `None` when the element is in no namespace.
    pub ns: Option<String>,
    /// Local name.
    pub name: String,
    /// Attributes in document order (namespace declarations excluded).
    pub attributes: Vec<XmlAttribute>,
    /// Children in document order.
    pub children: Vec<XmlNode>,
}

impl XmlElement {
    /// The value of an unprefixed attribute.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| a.ns.is_none() && a.name == name)
            .map(|a| a.value.as_str())
    }

    /// All text directly inside the element.
    pub fn text(&self) -> String {
        self.children
            .iter()
            .filter_map(|c| match c {
                XmlNode::Text(t) => Some(t.as_str()),
                XmlNode::Element(_) => None,
            })
            .collect()
    }
}

/// One piece of unmodelled data.
#[derive(Debug, Clone, PartialEq)]
pub enum Extension {
    /// An XML element from an Atom document.
    Xml(XmlElement),
    /// A JSON member from a Pump.io or AS2 document.
    Json {
        /// The member name as read (`"toot:featured"`, `"pump_io"`, …).
        key: String,
        /// Its value.
        value: serde_json::Value,
    },
}

/// The ordered bag of [`Extension`]s of one object, actor, activity or feed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Extensions(pub Vec<Extension>);

impl Extensions {
    /// True when nothing is kept.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Keeps an XML element.
    pub fn push_xml(&mut self, el: XmlElement) {
        self.0.push(Extension::Xml(el));
    }

    /// Keeps a JSON member.
    pub fn push_json(&mut self, key: impl Into<String>, value: serde_json::Value) {
        self.0.push(Extension::Json {
            key: key.into(),
            value,
        });
    }

    /// The XML elements, in order.
    pub fn xml(&self) -> impl Iterator<Item = &XmlElement> {
        self.0.iter().filter_map(|e| match e {
            Extension::Xml(x) => Some(x),
            Extension::Json { .. } => None,
        })
    }

    /// The JSON members, in order.
    pub fn json(&self) -> impl Iterator<Item = (&str, &serde_json::Value)> {
        self.0.iter().filter_map(|e| match e {
            Extension::Json { key, value } => Some((key.as_str(), value)),
            Extension::Xml(_) => None,
        })
    }

    /// The JSON member named `key`.
    pub fn json_get(&self, key: &str) -> Option<&serde_json::Value> {
        self.json().find(|(k, _)| *k == key).map(|(_, v)| v)
    }
}
