// The SDK warns once per process on Node 20 about Node versions it will drop
// in 2027. Only the specs' output is spared it (specs that listen for process
// warnings must not see it); users see it: the CLI, the demo and the
// examples leave it alone (spec/node-versions.spec.ts).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'
