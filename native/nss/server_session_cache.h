// The multi-process server session cache: configured in a primary process, inherited by its workers.
#pragma once
#include <napi.h>

namespace nss {

void InitServerSessionCache(Napi::Env env, Napi::Object exports);

}  // namespace nss
