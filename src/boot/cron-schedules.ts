// Cron expressions for the delayed exchange's scheduled delivery (x-schedule-cron), computed by
// cron-parser: five fields (minute to day of week) or six (seconds first), and its @hourly-style
// shorthands, in UTC.
import { CronExpressionParser } from 'cron-parser'
import type { CronSchedules } from '../core/index.js'

export const cronSchedules: CronSchedules = {
  next(expression: string, after: number): number {
    return CronExpressionParser.parse(expression, { currentDate: after, tz: 'UTC' }).next().getTime()
  },
}
