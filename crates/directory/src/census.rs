//! Census questionnaires, requests and responses.
