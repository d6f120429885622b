import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);
import{k as t,v as i,w as a,z as o}from"./chunks/chunk-2WZD3NOD.js";import"./chunks/chunk-VPABT5YR.js";import"./chunks/chunk-TUK7PVCN.js";t();if(a())await o();else{i();let{run:e}=await import("./chunks/main-Y2C2XJ5Z.js"),{cancelled:s}=await e();s&&process.exit(1)}
