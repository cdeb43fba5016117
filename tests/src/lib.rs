//! Test support: start servers on free ports, talk to them.
