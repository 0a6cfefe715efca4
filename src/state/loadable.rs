//! A value that is loaded in the background and keeps its previous value while
//! it is refreshed, so the window never flashes empty (rerun's `requested_object`).

/// The state of a value that is loaded in the background.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Loadable<T> {
    /// Nothing asked for yet.
    #[default]
    Idle,
    /// Being loaded; the value from before, if there was one, is still shown.
    Loading { previous: Option<T> },
    /// Loaded.
    Ready(T),
    /// Loading failed; the value from before, if any, is kept.
    Failed { error: String, previous: Option<T> },
}

impl<T> Loadable<T> {
    /// The value to show now: the loaded one, or the previous one while loading or after a failure.
    pub fn current(&self) -> Option<&T> {
        match self {
            Loadable::Idle => None,
            Loadable::Ready(value) => Some(value),
            Loadable::Loading { previous } | Loadable::Failed { previous, .. } => previous.as_ref(),
        }
    }

    /// Mutable access to the value shown now.
    pub fn current_mut(&mut self) -> Option<&mut T> {
        match self {
            Loadable::Idle => None,
            Loadable::Ready(value) => Some(value),
            Loadable::Loading { previous } | Loadable::Failed { previous, .. } => previous.as_mut(),
        }
    }

    /// Starts a refresh, keeping the value shown now.
    pub fn start_loading(&mut self) {
        let previous = self.take_current();
        *self = Loadable::Loading { previous };
    }

    /// Ends a refresh with its result, keeping the previous value on failure.
    pub fn finish(&mut self, result: Result<T, String>) {
        *self = match result {
            Ok(value) => Loadable::Ready(value),
            Err(error) => Loadable::Failed {
                error,
                previous: self.take_current(),
            },
        };
    }

    /// Whether a refresh is under way.
    pub fn is_loading(&self) -> bool {
        matches!(self, Loadable::Loading { .. })
    }

    /// The error of the last load, if it failed.
    pub fn error(&self) -> Option<&str> {
        match self {
            Loadable::Failed { error, .. } => Some(error),
            _ => None,
        }
    }

    fn take_current(&mut self) -> Option<T> {
        match std::mem::take(self) {
            Loadable::Idle => None,
            Loadable::Ready(value) => Some(value),
            Loadable::Loading { previous } | Loadable::Failed { previous, .. } => previous,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_previous_value_stays_while_refreshing_and_after_a_failure() {
        let mut value = Loadable::Ready(1);
        value.start_loading();
        assert_eq!(value.current(), Some(&1));
        assert!(value.is_loading());
        value.finish(Err("gone".to_string()));
        assert_eq!(value.current(), Some(&1));
        assert_eq!(value.error(), Some("gone"));
        value.start_loading();
        value.finish(Ok(2));
        assert_eq!(value, Loadable::Ready(2));
    }
}
