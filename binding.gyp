{
  "variables": { "openssl_fips": "" },
  "targets": [
    {
      "target_name": "node_nss",
      "sources": [
        "native/nss/addon.cc",
        "native/nss/cert_builder.cc",
        "native/nss/cert_db.cc",
        "native/nss/cert_extensions.cc",
        "native/nss/cert_info.cc",
        "native/nss/cert_request.cc",
        "native/nss/certificate.cc",
        "native/nss/constants.cc",
        "native/nss/context.cc",
        "native/nss/crl.cc",
        "native/nss/cycle_pool.cc",
        "native/nss/errors.cc",
        "native/nss/private_key.cc",
        "native/nss/memio.cc",
        "native/nss/ocsp.cc",
        "native/nss/ocsp_http.cc",
        "native/nss/pkcs12.cc",
        "native/nss/pkcs11_module.cc",
        "native/nss/server_session_cache.cc",
        "native/nss/slot.cc",
        "native/nss/ssl_constants.cc",
        "native/nss/ssl_cycle.cc",
        "native/nss/ssl_engine.cc"
      ],
      "dependencies": ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers", "<!@(node scripts/nss-flags.js cflags)"],
      "libraries": ["<!@(node scripts/nss-flags.js libs)"]
    }
  ]
}
