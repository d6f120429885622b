import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);
import{m as t,v as i,w as a,z as o}from"./chunks/chunk-Z5ASYFDW.js";import"./chunks/chunk-VPABT5YR.js";import"./chunks/chunk-TUK7PVCN.js";t();if(a())await o();else{i();let{run:e}=await import("./chunks/main-AA6WRL2V.js"),{cancelled:s}=await e();s&&process.exit(1)}
