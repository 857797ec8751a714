//! A small XML writer for Query protocol answers (flat, known shapes; text escaped).

/// Builds an XML document.
#[derive(Default)]
pub struct XmlWriter {
    out: String,
}

/// Escapes text for XML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

impl XmlWriter {
    /// A document starting with the XML declaration.
    pub fn new() -> Self {
        Self { out: String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n") }
    }

    /// Opens `<name>` (with an optional xmlns).
    pub fn open(&mut self, name: &str, xmlns: Option<&str>) -> &mut Self {
        match xmlns {
            Some(ns) => self.out.push_str(&format!("<{name} xmlns=\"{}\">", escape(ns))),
            None => self.out.push_str(&format!("<{name}>")),
        }
        self
    }

    /// Closes `</name>`.
    pub fn close(&mut self, name: &str) -> &mut Self {
        self.out.push_str(&format!("</{name}>"));
        self
    }

    /// `<name>text</name>`.
    pub fn element(&mut self, name: &str, text: &str) -> &mut Self {
        self.out.push_str(&format!("<{name}>{}</{name}>", escape(text)));
        self
    }

    /// The document.
    pub fn finish(self) -> String {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_text() {
        let mut xml = XmlWriter::new();
        xml.open("A", Some("urn:x")).element("B", "<&'\">").close("A");
        assert!(xml.finish().ends_with("<A xmlns=\"urn:x\"><B>&lt;&amp;&apos;&quot;&gt;</B></A>"));
    }
}
