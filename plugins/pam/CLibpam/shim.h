/* Linux-PAM's application interface (package libpam0g-dev). */
#include <security/pam_appl.h>
