//! The minimum-standards and trust-attribute checklist.
