//! Coverage gaps across the hemisphere.
