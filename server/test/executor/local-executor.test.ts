import { createLocalExecutor } from '../../src/executor/local/local-executor.ts'
import { describeExecutorContract } from './executor-contract.ts'

describeExecutorContract({ name: 'local', create: async (options) => createLocalExecutor(options) })
