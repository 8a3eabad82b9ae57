export * from './config.js'
export { configFileFromEnv, parseLogFormat, settingsFromEnv } from './env.js'
export { combineLayers, type ConfigLayer, type ConfigSources, flagLayer, readConfFile } from './sources.js'
