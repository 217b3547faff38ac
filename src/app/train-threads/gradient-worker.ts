// Entry of a training thread: serves data-parallel gradient steps until told to stop.
import { workerData } from 'node:worker_threads';
import { serveGradientWorker, type GradientWorkerData } from '../../train/data-parallel.js';

serveGradientWorker(workerData as GradientWorkerData);
