//! Watch and warning as data, with no I/O: what a node needs to get a
//! product to the person on duty and to know that it got there.
//!
//! - [`product`]: the kinds the seeds name (alert, advisory, vulnerability
//!   notice, suspicious-activity warning, mitigation guidance, lessons
//!   learned, best practice), their severity, and their mapping onto
//!   standard STIX 2.1 objects with vigia's product extension.
//! - [`receipt`]: delivered, seen, acknowledged, actioned: the receipt a
//!   recipient team sends back to the originator as a STIX `note`.
//! - [`roster`]: a team's duty roster, who is on duty at an instant (IANA
//!   time zones) and the hours with nobody on duty.
//! - [`escalation`]: when the backup, the escalation chain and the
//!   Secretariat are called.
//! - [`message`]: what an e-mail or a webhook may disclose of a product,
//!   given its marking and the contact, and the messages themselves.

pub mod assistance;
pub mod escalation;
pub mod message;
pub mod product;
pub mod public_report;
pub mod receipt;
pub mod roster;

pub use escalation::{EscalationPolicy, Step};
pub use message::{disclosure, Channel, Disclosure, Links, ACK_LINK_MARKER};
pub use product::{
    revise, Cvss, EmbargoDraft, ProductDraft, ProductError, ProductExtension, ProductIds,
    ProductInfo, ProductKind, ProductRevision, Severity, PRODUCT_EXTENSION_ID,
};
pub use receipt::{
    finding_subject, finding_to_stix, receipt_tlp, ReceiptDraft, ReceiptInfo, ReceiptState,
    FINDING_LABEL, RECEIPT_EXTENSION_ID,
};
pub use roster::{Contact, ContactRole, Gap, Roster, RosterError, Webhook, Window};
