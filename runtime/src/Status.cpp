//===- Status.cpp - tilec_status accessors --------------------------------===//

#include "Status.h"

extern "C" {

tilec_status_code tilec_status_get_code(const tilec_status *s) { return s ? s->code : TILEC_OK; }

const char *tilec_status_message(const tilec_status *s) { return s ? s->message.c_str() : "ok"; }

void tilec_status_free(tilec_status *s) { delete s; }

} // extern "C"
