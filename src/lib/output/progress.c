/* A redrawn progress line (see progress.h). */
#include "output/progress.h"

void out_progress_update(struct out_progress *p, const struct scan_progress *sp)
{
	double pct, rate, eta;
	int n;

	if (sp->elapsed - p->last < 0.25 || sp->total == 0)
		return;
	p->last = sp->elapsed;
	pct = 100.0 * (double)sp->done / (double)sp->total;
	rate = sp->elapsed > 0 ? (double)sp->sent / sp->elapsed : 0;
	if (sp->has_eta)
		eta = sp->eta;
	else
		eta =
		    sp->done ? sp->elapsed * (double)(sp->total - sp->done) / (double)sp->done : 0;
	eta = eta < 0 ? 0 : eta > 359999 ? 359999 : eta;
	n = fprintf(p->f, "\r  %5.1f%%  %8.0f probes/s  %llu open  ETA %d:%02d ", pct, rate,
	            (unsigned long long)sp->found, (int)eta / 60, (int)eta % 60);
	if (n > 0 && (size_t)n > p->width)
		p->width = (size_t)n;
	fflush(p->f);
}

void out_progress_clear(struct out_progress *p)
{
	if (!p->width)
		return;
	fprintf(p->f, "\r%*s\r", (int)p->width, "");
	fflush(p->f);
	p->width = 0;
}
