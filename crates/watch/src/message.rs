//! What a message about a product may carry, and the messages themselves.
//!
//! | marking            | e-mail                                   | webhook                                     |
//! |--------------------|------------------------------------------|---------------------------------------------|
//! | CLEAR, GREEN       | the product                              | the product                                 |
//! | AMBER, AMBER+STRICT| the product                              | the product if the team allows it for that URL, else a summary |
//! | RED                | the product, to named recipients only    | a summary, to named recipients only         |
//!
//! A summary names the product's id, kind, severity and marking and links
//! to it: nothing of its content. Whoever follows the link signs in and
//! the access rule decides.

use serde_json::{json, Value};
use vigia_stix::{Timestamp, Tlp};

use crate::product::ProductInfo;
use crate::roster::Contact;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Channel {
    Email,
    Webhook,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Webhook => "webhook",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disclosure {
    /// Title, description and details.
    Full,
    /// Only that a product of this kind, severity and marking waits.
    Summary,
    /// Nothing is sent on this channel.
    Withhold,
}

/// What `channel` to `contact` may carry of a product marked `tlp`.
/// `named` says whether the contact is one of the product's named
/// recipient persons.
pub fn disclosure(channel: Channel, tlp: Tlp, contact: &Contact, named: bool) -> Disclosure {
    match (tlp, channel) {
        (Tlp::Red, _) if !named => Disclosure::Withhold,
        (Tlp::Red, Channel::Email) => Disclosure::Full,
        (Tlp::Red, Channel::Webhook) => Disclosure::Summary,
        (Tlp::Amber | Tlp::AmberStrict, Channel::Webhook) => {
            if contact.webhook.as_ref().is_some_and(|w| w.allow_amber) {
                Disclosure::Full
            } else {
                Disclosure::Summary
            }
        }
        _ => Disclosure::Full,
    }
}

/// Where the recipient reads and acknowledges the product.
pub struct Links<'a> {
    pub product: &'a str,
    /// Single-use acknowledgement link (e-mail only).
    pub acknowledge: Option<&'a str>,
}

/// Marker replaced by the single-use acknowledgement link when the e-mail
/// is sent, so the link's secret is never stored.
pub const ACK_LINK_MARKER: &str = "{{ack_link}}";

fn subject_tag(tlp: Tlp, product: &ProductInfo) -> String {
    let exercise = if product.exercise { "[EXERCISE] " } else { "" };
    format!(
        "[{}] {exercise}{} {}",
        tlp.label(),
        product.severity.as_str().to_uppercase(),
        product.kind.label().to_lowercase()
    )
}

/// Subject and plain-text body of a notification e-mail.
pub fn email(
    product: &ProductInfo,
    tlp: Tlp,
    disclosure: Disclosure,
    escalation: Option<&str>,
    links: &Links<'_>,
) -> Option<(String, String)> {
    if disclosure == Disclosure::Withhold {
        return None;
    }
    let tag = subject_tag(tlp, product);
    let mut body = String::new();
    body.push_str(&format!("{}\n\n", tlp.label()));
    if let Some(why) = escalation {
        body.push_str(&format!("ESCALATED: {why}\n\n"));
    }
    let subject = match disclosure {
        Disclosure::Full => {
            body.push_str(&format!("{}\n", product.title));
            body.push_str(&format!(
                "{} · severity {}\n",
                product.kind.label(),
                product.severity.as_str()
            ));
            if !product.cves.is_empty() {
                body.push_str(&format!("CVE: {}\n", product.cves.join(", ")));
            }
            if let Some(c) = &product.cvss {
                body.push_str(&format!("CVSS: {} ({})\n", c.base_score, c.vector));
            }
            if !product.description.is_empty() {
                body.push_str(&format!("\n{}\n", product.description));
            }
            format!("{tag}: {}", product.title)
        }
        _ => {
            body.push_str(&format!(
                "A {} {} marked {} waits for you. Its content is not sent by e-mail; sign in to read it.\n",
                product.severity.as_str(),
                product.kind.label().to_lowercase(),
                tlp.label()
            ));
            tag
        }
    };
    body.push_str(&format!("\nRead it: {}\n", links.product));
    if let Some(ack) = links.acknowledge {
        body.push_str(&format!("Acknowledge (single use): {ack}\n"));
    }
    body.push_str(&format!("\nProduct id: {}\n", product.id));
    Some((subject, body))
}

/// The `data` of a Standard Webhooks payload announcing a product.
pub fn webhook_payload(
    product: &ProductInfo,
    tlp: Tlp,
    disclosure: Disclosure,
    escalation: Option<&str>,
    product_link: &str,
    now: Timestamp,
) -> Option<Value> {
    if disclosure == Disclosure::Withhold {
        return None;
    }
    let mut data = json!({
        "id": product.id,
        "kind": product.kind.as_str(),
        "severity": product.severity.as_str(),
        "tlp": tlp.label(),
        "exercise": product.exercise,
        "link": product_link,
    });
    if let Some(why) = escalation {
        data["escalation"] = json!(why);
    }
    if disclosure == Disclosure::Full {
        data["title"] = json!(product.title);
        data["description"] = json!(product.description);
        data["cves"] = json!(product.cves);
    }
    Some(json!({
        "type": "product.arrived",
        "timestamp": now.to_millis_string(),
        "data": data,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::product::{ProductKind, Severity};
    use crate::roster::{ContactRole, Webhook};

    fn contact(allow_amber: bool) -> Contact {
        Contact {
            name: "duty".into(),
            role: ContactRole::Primary,
            user: Some("duty".into()),
            email: Some("duty@cert.example".into()),
            phone: None,
            webhook: Some(Webhook {
                url: "https://hooks.example/x".into(),
                secret: None,
                allow_amber,
            }),
            windows: vec![],
        }
    }

    fn product() -> ProductInfo {
        ProductInfo {
            id: "report--6a1f0c4e-2b7d-4c11-9e5a-3f8b2d7c1a90".into(),
            kind: ProductKind::Alert,
            severity: Severity::Critical,
            title: "Wiper in the power grid".into(),
            description: "secret details".into(),
            cves: vec![],
            cvss: None,
            embargo_until: None,
            supersedes: None,
            exercise: false,
            version: None,
        }
    }

    #[test]
    fn the_marking_decides_what_each_channel_carries() {
        use Channel::*;
        use Disclosure::*;
        let (plain, trusted) = (contact(false), contact(true));
        assert_eq!(disclosure(Email, Tlp::Red, &plain, false), Withhold);
        assert_eq!(disclosure(Webhook, Tlp::Red, &trusted, false), Withhold);
        assert_eq!(disclosure(Email, Tlp::Red, &plain, true), Full);
        assert_eq!(disclosure(Webhook, Tlp::Red, &trusted, true), Summary);
        assert_eq!(disclosure(Webhook, Tlp::Amber, &plain, false), Summary);
        assert_eq!(
            disclosure(Webhook, Tlp::AmberStrict, &plain, false),
            Summary
        );
        assert_eq!(disclosure(Webhook, Tlp::Amber, &trusted, false), Full);
        assert_eq!(disclosure(Email, Tlp::Amber, &plain, false), Full);
        assert_eq!(disclosure(Webhook, Tlp::Green, &plain, false), Full);
        assert_eq!(disclosure(Email, Tlp::Clear, &plain, false), Full);
    }

    #[test]
    fn a_summary_carries_nothing_of_the_content() {
        let p = product();
        let payload = webhook_payload(
            &p,
            Tlp::Amber,
            Disclosure::Summary,
            None,
            "https://n/x",
            Timestamp::parse("2026-11-23T00:00:00Z").unwrap(),
        )
        .unwrap();
        let text = payload.to_string();
        assert!(!text.contains("Wiper") && !text.contains("secret details"));
        assert_eq!(payload["data"]["tlp"], "TLP:AMBER");
        let links = Links {
            product: "https://n/x",
            acknowledge: Some(ACK_LINK_MARKER),
        };
        let (subject, body) = email(&p, Tlp::Red, Disclosure::Summary, None, &links).unwrap();
        assert!(!subject.contains("Wiper") && !body.contains("secret"));
        assert!(subject.starts_with("[TLP:RED]"));
        let (subject, body) = email(
            &p,
            Tlp::Green,
            Disclosure::Full,
            Some("no acknowledgement in 15 min"),
            &links,
        )
        .unwrap();
        assert!(
            subject.contains("Wiper")
                && body.contains("secret details")
                && body.contains("ESCALATED")
        );
        assert!(email(&p, Tlp::Red, Disclosure::Withhold, None, &links).is_none());
    }
}
