// Imported first by every bench entry point: the SDK's warning about Node
// versions it will drop in 2027 says nothing about this benchmark.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true'
