// The SDK warns on every client about Node versions it will drop in 2027;
// the warning says nothing about this package, so the specs silence it.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'
