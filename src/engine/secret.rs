//! Key material that wipes itself and never prints.

use std::fmt;
use zeroize::Zeroizing;

/// An API key or secret. Its bytes are zeroed on drop and `Debug` hides them,
/// so any struct holding one can derive `Debug` safely.
#[derive(Clone)]
pub struct Secret(Zeroizing<Box<str>>);

impl Secret {
    /// Copies `value` into an allocation of exactly its size: a growing
    /// buffer would leave unwiped copies behind.
    pub fn new(value: &str) -> Self {
        Secret(Zeroizing::new(Box::from(value)))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value() {
        let s = Secret::new("NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP");
        assert_eq!(format!("{s:?}"), "Secret(<redacted>)");
        assert_eq!(s.expose(), "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP");
    }
}
