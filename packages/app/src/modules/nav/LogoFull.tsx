import { makeStyles } from '@material-ui/core';

const useStyles = makeStyles({
  text: {
    color: '#7df3e1',
    fontSize: 24,
    fontWeight: 700,
    letterSpacing: 1,
    whiteSpace: 'nowrap',
  },
});

/** The wordmark in the open sidebar. */
export const LogoFull = () => {
  const classes = useStyles();
  return <span className={classes.text}>Dezky</span>;
};
