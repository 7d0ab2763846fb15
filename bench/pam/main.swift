// bench-pam: PAM checks per second through the whole plugin (the C ABI entry point, as the host
// calls it) next to a bare pam_start/pam_authenticate/pam_acct_mgmt/pam_end loop measured in the
// same run, through pam_matrix (libpam-wrapper) and through pam_unix with a real account (root
// only), at 1, 2 and 8 checks in flight.
//
// Output: figure<TAB>value<TAB>unit<TAB>comparison-figure<TAB>comparison-value<TAB>ratio
try run()
