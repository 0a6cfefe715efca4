//! One module per view of the window.
