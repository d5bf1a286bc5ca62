//! Verification vendors. Software Secure is the first; the plugin trait and the hosted-flow
//! vendor come with the pluggable-IDV work.

pub mod software_secure;
