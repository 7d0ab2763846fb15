// libxcrypt (package libcrypt-dev): crypt_rn, crypt_gensalt_rn, struct crypt_data.
#include <crypt.h>
