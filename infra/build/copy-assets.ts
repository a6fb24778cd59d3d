// After `tsc` emits dist/, copies the files the code reads at run time from beside itself (assets.ts).
import { copyAssets } from './assets.ts'

copyAssets('.', 'dist')
