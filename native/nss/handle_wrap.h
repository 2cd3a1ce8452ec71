// HandleWrap: the JS wrapper of one NSS reference (a certificate, a key, a slot, a module), written once.
#pragma once
#include <napi.h>

#include <initializer_list>
#include <string>

#include "context.h"

namespace nss {

// What a wrapper tells HandleWrap about its JavaScript class (a `static constexpr HandleClass kClass`).
struct HandleClass {
  const char* name;                          // the class as exported ("NativeCertificate")
  const char* typeName;                      // what FromValue's TypeError calls it ("Certificate")
  const char* origin;                        // the TypeError for a construction from JavaScript
  Napi::FunctionReference AddonData::*ctor;  // where this environment keeps the constructor
};

// `Wrapper` derives from HandleWrap<Wrapper, Raw, Destroy>, declares kClass and `using HandleWrap::HandleWrap;`.
// The wrapper owns one reference to a `Raw` and is in the environment's handle registry (see Handle) while it
// lives. Release() (shutdown(), environment teardown, setFIPS) or the finalizer gives the reference back with
// `Destroy`; after Release() Get() throws (Handle::ThrowIfReleased) and the finalizer does nothing.
// A wrapper that owns more than that reference overrides Release() (calling HandleWrap::Release()) and calls
// Release() from its own destructor: ~HandleWrap runs after the wrapper's own members are gone.
template <typename Wrapper, typename Raw, void (*Destroy)(Raw*)>
class HandleWrap : public Napi::ObjectWrap<Wrapper>, public Handle {
 public:
  // Defines the class with `properties`, keeps its constructor in AddonData and exports it.
  static void Export(Napi::Env env, Napi::Object exports,
                     std::initializer_list<typename Napi::ObjectWrap<Wrapper>::PropertyDescriptor> properties) {
    Napi::Function cls = Napi::ObjectWrap<Wrapper>::DefineClass(env, Wrapper::kClass.name, properties);
    AddonData::Get(env)->*(Wrapper::kClass.ctor) = Napi::Persistent(cls);
    exports.Set(Wrapper::kClass.name, cls);
  }

  // Wraps `raw`, taking over the caller's reference.
  static Napi::Object New(Napi::Env env, Raw* raw) {
    Handover handover{raw};
    Napi::Object wrapper;
    try {
      wrapper = (AddonData::Get(env)->*(Wrapper::kClass.ctor)).New({Napi::External<Handover>::New(env, &handover)});
    } catch (...) {
      // No wrapper took the reference (e.g. a worker being terminated): give it back, or NSS stays BUSY. One that
      // did (V8 can fail the construction after the constructor ran) gives it back itself, once.
      if (!handover.taken) Destroy(raw);
      throw;
    }
    // A worker terminated from another thread can make `new` succeed without our constructor: Node stops the
    // environment (napi_wrap then fails inside node-addon-api's constructor wrapper, which cannot throw any more)
    // before V8 sees the termination, and V8 returns the bare receiver with no exception pending. Measured on
    // Node 20: about 1 in 200 terminations of a worker in a listCertificates() loop, and the lost reference made
    // the last shutdown fail with SEC_ERROR_BUSY.
    if (!handover.taken) {
      Destroy(raw);
      throw Napi::Error::New(env, std::string("the JavaScript environment stopped while making a ") +
                                      Wrapper::kClass.typeName);
    }
    return wrapper;
  }

  // The NSS object behind a JS wrapper; throws TypeError naming `argName` if `value` is not one.
  static Raw* FromValue(Napi::Value value, const char* argName) {
    Napi::Env env = value.Env();
    if (value.IsObject() &&
        value.As<Napi::Object>().InstanceOf((AddonData::Get(env)->*(Wrapper::kClass.ctor)).Value())) {
      return Napi::ObjectWrap<Wrapper>::Unwrap(value.As<Napi::Object>())->Get(env);
    }
    throw Napi::TypeError::New(env,
                               std::string("The \"") + argName + "\" argument must be a " + Wrapper::kClass.typeName);
  }

  // Only New() makes wrappers: it passes the reference as an External.
  explicit HandleWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Wrapper>(info) {
    if (!info[0].IsExternal()) throw Napi::TypeError::New(info.Env(), Wrapper::kClass.origin);
    Handover* handover = info[0].As<Napi::External<Handover>>().Data();
    object_ = handover->raw;
    handover->taken = true;
    Track(info.Env());
  }

  ~HandleWrap() override {
    Untrack();
    HandleWrap::Release();
  }

  void Release() override {
    if (object_ != nullptr) Destroy(object_);
    object_ = nullptr;
  }

  // The NSS object; throws NSPRError once it was released.
  Raw* Get(Napi::Env env) const {
    ThrowIfReleased(env, object_ == nullptr);
    return object_;
  }

  // What New() hands the constructor: the reference, and whether a wrapper took it.
  struct Handover {
    Raw* raw;
    bool taken = false;
  };

 protected:
  Raw* object_ = nullptr;
};

}  // namespace nss
