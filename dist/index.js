import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);
<<<<<<< HEAD
import{j as t,s as i,t as a,w as o}from"./chunks/chunk-4DJ4OLO5.js";import"./chunks/chunk-M7EKECZN.js";import"./chunks/chunk-NYUC5VJU.js";import"./chunks/chunk-4HVQNA6I.js";t();if(a())await o();else{i();let{run:e}=await import("./chunks/main-4TTCGJZP.js"),{cancelled:s}=await e();s&&process.exit(1)}
=======
import{j as t,s as i,t as a,w as o}from"./chunks/chunk-KS5DJHT2.js";import"./chunks/chunk-VPABT5YR.js";import"./chunks/chunk-TUK7PVCN.js";t();if(a())await o();else{i();let{run:e}=await import("./chunks/main-6RZU4BWL.js"),{cancelled:s}=await e();s&&process.exit(1)}
>>>>>>> main
